package seal_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app/seal"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, seal.KeySize) }

func TestSealRoundTrip(t *testing.T) {
	s, err := seal.New(key(1))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("shpat_secret"), []byte("shop-a.myshopify.com/access"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "shpat_secret") {
		t.Fatalf("sealed value contains the clear text: %s", sealed)
	}
	again, err := s.Seal([]byte("shpat_secret"), []byte("shop-a.myshopify.com/access"))
	if err != nil {
		t.Fatal(err)
	}
	if again == sealed {
		t.Fatal("two seals of the same value are identical: nonce is not random")
	}
	plain, err := s.Open(sealed, []byte("shop-a.myshopify.com/access"))
	if err != nil || string(plain) != "shpat_secret" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
}

func TestOpenFailsLoudly(t *testing.T) {
	s, err := seal.New(key(1))
	if err != nil {
		t.Fatal(err)
	}
	other, err := seal.New(key(2))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("shpat_secret"), []byte("a"))
	if err != nil {
		t.Fatal(err)
	}

	if _, err := other.Open(sealed, []byte("a")); err == nil || !strings.Contains(err.Error(), "WAYBILL_ENCRYPTION_KEY") {
		t.Fatalf("wrong key: err = %v, want an error naming WAYBILL_ENCRYPTION_KEY", err)
	}
	if _, err := s.Open(sealed, []byte("b")); err == nil {
		t.Fatal("a value moved to another row (other associated data) opened")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := s.Open(tampered, []byte("a")); err == nil {
		t.Fatal("tampered value opened")
	}
	if _, err := s.Open("shpat_clear", []byte("a")); err == nil {
		t.Fatal("a clear value opened as if sealed")
	}
}

func TestNewRejectsShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := seal.New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
}
