package twiliofake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app/twilio/twiliofake"
)

func TestMessagesFormValidation(t *testing.T) {
	fake := twiliofake.New(twiliofake.Options{})
	srv := httptest.NewServer(fake)
	defer func() { srv.Close(); fake.Close() }()
	sid, token, mg := twiliofake.NewSID("AC"), "tok", twiliofake.NewSID("MG")
	fake.AddAccount(twiliofake.Account{SID: sid, AuthToken: token, Numbers: []string{"+34910000001"}, MessagingServices: []string{mg}})
	post := func(path, user, pass string, form url.Values) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		if cerr := resp.Body.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return resp.StatusCode, out
	}
	path := "/2010-04-01/Accounts/" + sid + "/Messages.json"
	ok := url.Values{"To": {"+34612345678"}, "From": {"+34910000001"}, "Body": {"Hola"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vals := range ok {
			f[key] = vals
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for _, tc := range []struct {
		name       string
		path, user string
		pass       string
		form       url.Values
		status     int
		code       float64
	}{
		{"wrong token", path, sid, "nope", ok, 401, 20003},
		{"user not the path's account", path, twiliofake.NewSID("AC"), token, ok, 401, 20003},
		{"no To", path, sid, token, with("To", ""), 400, 21604},
		{"To not E.164", path, sid, token, with("To", "0034612345678"), 400, 21211},
		{"no Body", path, sid, token, with("Body", ""), 400, 21602},
		{"Body over 1600", path, sid, token, with("Body", strings.Repeat("a", 1601)), 400, 21617},
		{"From not the account's", path, sid, token, with("From", "+34910000002"), 400, 21606},
		{"unknown Messaging Service", path, sid, token, url.Values{"To": {"+34612345678"}, "MessagingServiceSid": {twiliofake.NewSID("MG")}, "Body": {"Hola"}}, 400, 21701},
		{"bad StatusCallback", path, sid, token, with("StatusCallback", "not a url"), 400, 21609},
		{"unknown resource", "/2010-04-01/Accounts/" + sid + "/Calls.json", sid, token, ok, 404, 20404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(tc.path, tc.user, tc.pass, tc.form)
			if status != tc.status || body["code"] != tc.code || body["more_info"] == "" {
				t.Errorf("answered %d %v, want %d with code %v", status, body, tc.status, tc.code)
			}
		})
	}
	if n := len(fake.Messages()); n != 0 {
		t.Fatalf("accepted %d messages from invalid requests", n)
	}

	status, body := post(path, sid, token, ok)
	if status != 201 || body["status"] != "queued" || body["num_segments"] != "1" || body["from"] != "+34910000001" ||
		!strings.HasPrefix(body["sid"].(string), "SM") {
		t.Errorf("created %d %v", status, body)
	}
	status, body = post(path, sid, token, url.Values{"To": {"+34612345678"}, "MessagingServiceSid": {mg}, "Body": {"Hola"}})
	if status != 201 || body["status"] != "accepted" || body["num_segments"] != "0" || body["from"] != nil {
		t.Errorf("created through a Messaging Service: %d %v", status, body)
	}
	if n := len(fake.Messages()); n != 2 {
		t.Errorf("recorded %d messages, want 2", n)
	}
}
