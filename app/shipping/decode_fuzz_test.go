package shipping

import (
	"encoding/json"
	"testing"

	"github.com/waybill-app/waybill/app"
)

// FuzzDecodeJSON sends arbitrary bodies to the supplier API's decoder and
// checks: it never panics; a body it refuses is refused with a code (400 or
// 413, never a 500); otherwise it answers one result per row, in order, and
// refuses a row with a message code and its sentence — and a row it decodes and intake's rules
// (validate, which Submit runs next) pass obeys app/validate.go.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"order":"#1001","tracking_number":"1Z999AA10123456784","carrier":"UPS","tracking_url":"https://www.ups.com/track?tracknum=1Z999AA10123456784"}`,
		`[{"order":"#1001","tracking_number":"RB123456785ES","line_items":[{"sku":"MUG-01","quantity":2},{"line_item_id":123,"quantity":1}]},{"order":5550001010,"tracking_number":794600000000,"notify_customer":false}]`,
		`[{"order":"#1001","tracking_number":"RB123456785ES","extra":1},{"order":-4},{"order":1.5},"x",null,[],{"order":"#1","line_items":[{"quantity":1e400}]}]`,
		`{"order":"#1001","tracking_number":"LX123456785CN","line_items":[{"sku":"A","quantity":2.0},{"sku":"B","quantity":-1},{"sku":7,"quantity":1}]}`,
		`{"order":"#1001","tracking_number":"RB123456785ES","tracking_url":"javascript:alert(1)"}`,
		`{"order":"#10\u00001","tracking_number":"RB123456785ES","carrier":"Correos\nEspaña"}`,
		`{"order":"#1001","tracking_number":"RB123456785ES","line_items":[{"line_item_id":"12","quantity":1}]}`,
		`{"order":"#1001","order":"#1002","tracking_number":"a"}`,
		"  [ ]  ", `{`, `[1,2`, `"text"`, ``, `{"a":1}{"b":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		subs, errs, err := DecodeJSON(body)
		if err != nil {
			if c := app.ErrorCodeOf(err); c != app.ErrInvalid && c != app.ErrTooLarge {
				t.Fatalf("a refused body has code %q (%v)", c, err)
			}
			if subs != nil || errs != nil {
				t.Fatalf("a refused body still gave rows")
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("%q is not JSON, and was decoded", body)
		}
		if len(subs) != len(errs) || len(subs) > MaxBatch {
			t.Fatalf("%d rows, %d errors (at most %d rows)", len(subs), len(errs), MaxBatch)
		}
		var elems []json.RawMessage
		if json.Unmarshal(body, &elems) != nil {
			elems = []json.RawMessage{body} // one object
		}
		if len(elems) != len(subs) {
			t.Fatalf("%d rows sent, %d answered", len(elems), len(subs))
		}
		for i, s := range subs {
			if errs[i].Code != "" || errs[i].Text != "" {
				if errs[i].Code == "" || errs[i].Text == "" {
					t.Fatalf("row %d (%s) is refused with code %q: %q", i, elems[i], errs[i].Code, errs[i].Text)
				}
				continue
			}
			var m map[string]any
			if json.Unmarshal(elems[i], &m) != nil || m == nil {
				t.Fatalf("row %d (%s) is not an object, and was decoded", i, elems[i])
			}
			if msg := s.validate(); msg.Code == "" {
				checkSubmission(t, s)
			} else if msg.Text == "" {
				t.Fatalf("row %d is refused by code %s without a sentence", i, msg.Code)
			}
		}
	})
}
