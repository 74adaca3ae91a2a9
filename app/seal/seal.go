// Package seal encrypts secrets at rest with AES-256-GCM.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// version prefixes every sealed value so the format can change later without
// guessing what an old row holds.
const version = "v1:"

// KeySize is the only accepted key length: AES-256.
const KeySize = 32

// Sealer implements app.Sealer.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext with a random nonce; associatedData is
// authenticated but not stored.
func (s *Sealer) Seal(plaintext, associatedData []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, plaintext, associatedData)
	return version + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same key and associated data.
// A wrong key, a tampered value or a value moved to another row all fail with
// an error that says so (never garbage).
func (s *Sealer) Open(sealed string, associatedData []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return nil, app.Errorf(app.ErrInternal, "sealed value has an unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, app.Errorf(app.ErrInternal, "sealed value is corrupted")
	}
	nonce, ciphertext := raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():]
	plain, err := s.aead.Open(nil, nonce, ciphertext, associatedData)
	if err != nil {
		return nil, app.WrapError(app.ErrInternal, err,
			"cannot open a sealed secret: WAYBILL_ENCRYPTION_KEY differs from the key it was sealed with, or the data was altered")
	}
	return plain, nil
}
