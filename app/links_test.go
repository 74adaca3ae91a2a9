package app

import (
	"strings"
	"testing"
)

func TestShortLinks(t *testing.T) {
	l := NewShortLinks("secret", "https://waybill.example.com/")
	link := l.URL("shop-1", 5_550_123_456_789)
	if len(link) > 60 || !strings.HasPrefix(link, "https://waybill.example.com/l/") {
		t.Fatalf("short link %q (%d chars)", link, len(link))
	}
	token := strings.TrimPrefix(link, "https://waybill.example.com/l/")
	id, ok := l.OrderID(token)
	if !ok || id != 5_550_123_456_789 {
		t.Fatalf("OrderID = %d, %v", id, ok)
	}
	if !l.Valid(token, "shop-1", id) {
		t.Fatal("the shop's own link does not open")
	}
	if l.Valid(token, "shop-2", id) {
		t.Fatal("another shop's order with the same id opens")
	}
	if l.Valid(token, "shop-1", id+1) || NewShortLinks("other", "x").Valid(token, "shop-1", id) {
		t.Fatal("a link opens another order, or under another secret")
	}
	forged := strings.Replace(token, "-", "0-", 1)
	if n, ok := l.OrderID(forged); ok && l.Valid(forged, "shop-1", n) {
		t.Fatal("a forged id opens")
	}
}
