package statusfeed_test

import (
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/statusfeed"
)

const easyPostEvent = `{"object":"Event","description":"tracker.updated","result":{"object":"Tracker","id":"trk_1",
"tracking_code":"EZ1000000001","status":"out_for_delivery","status_detail":"out_for_delivery","carrier":"USPS",
"est_delivery_date":"2026-11-25T18:00:00Z","tracking_details":[
{"object":"TrackingDetail","message":"Arrived at facility","status":"in_transit","datetime":"2026-11-23T08:00:00Z","tracking_location":{"city":"MADRID","state":"","country":"ES"}},
{"object":"TrackingDetail","message":"Out for delivery","status":"out_for_delivery","datetime":"2026-11-24T07:30:00Z","tracking_location":{"city":"MADRID","country":"ES"}}]}}`

func TestEasyPostSignatureAndMapping(t *testing.T) {
	body := []byte(easyPostEvent)
	sig := statusfeed.SignEasyPost(body, "s3cr3t")
	if !statusfeed.VerifyEasyPost(body, sig, "s3cr3t") {
		t.Fatal("good signature refused")
	}
	for name, header := range map[string]string{"missing": "", "wrong secret": statusfeed.SignEasyPost(body, "other"), "bare hex": sig[len("hmac-sha256-hex="):]} {
		if statusfeed.VerifyEasyPost(body, header, "s3cr3t") {
			t.Errorf("%s signature accepted", name)
		}
	}
	if statusfeed.VerifyEasyPost(append(body, ' '), sig, "s3cr3t") {
		t.Error("a changed body was accepted")
	}
	u, ok, err := statusfeed.ParseEasyPost(body)
	if err != nil || !ok || u.TrackingNumber != "EZ1000000001" || u.Status != app.StatusOutForDelivery || u.EstimatedDelivery == nil ||
		len(u.Checkpoints) != 2 || u.Checkpoints[0].Location != "MADRID, ES" || u.Checkpoints[0].Status != app.StatusInTransit {
		t.Fatalf("parsed = %+v %v %v", u, ok, err)
	}
	_, ok, err = statusfeed.ParseEasyPost([]byte(`{"object":"Event","description":"batch.created","result":{"object":"Batch"}}`))
	if err != nil {
		t.Fatalf("a non-tracker event: %v", err)
	}
	if ok {
		t.Fatal("a non-tracker event was taken as a status")
	}
}
