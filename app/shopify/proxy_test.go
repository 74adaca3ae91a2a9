package shopify_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shopify"
)

// Shopify's published app proxy vector (secret "hush"): repeated keys joined
// by commas, sorted, k=v with no separator — valid only within 90 seconds of
// its timestamp, as Shopify's own library holds.
func TestAppProxySignatureVector(t *testing.T) {
	signedAt := time.Unix(1317327555, 0)
	clock := apptest.NewClock(signedAt.Add(80 * time.Second))
	svc := shopify.New(shopify.Config{APIKey: "k", APISecret: "hush"}, nil, nil, clock, nil, nil)
	vector := "extra=1&extra=2&logged_in_customer_id=1&path_prefix=/apps/awesome_reviews&shop=shop-name.myshopify.com&timestamp=1317327555&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
	q, err := url.ParseQuery(vector)
	if err != nil {
		t.Fatal(err)
	}
	if !svc.ValidProxySignature(q) {
		t.Fatal("Shopify's vector refused")
	}
	clock.Set(signedAt.Add(91 * time.Second))
	if svc.ValidProxySignature(q) {
		t.Fatal("the vector replayed 91 s later was accepted")
	}
	clock.Set(signedAt.Add(-91 * time.Second))
	if svc.ValidProxySignature(q) {
		t.Fatal("the vector 91 s before its timestamp was accepted")
	}
	clock.Set(signedAt)
	q.Set("extra", "3")
	if svc.ValidProxySignature(q) {
		t.Fatal("a changed parameter accepted")
	}
	q.Del("signature")
	if svc.ValidProxySignature(q) {
		t.Fatal("a missing signature accepted")
	}
}
