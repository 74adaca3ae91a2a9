// Package config reads Waybill's configuration from the environment
// (the README lists every variable). Bad configuration is one line naming
// the variable, so an operator can fix it without reading code.
package config

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/waybill-app/waybill/app/redis"
)

// DefaultScopes are the access scopes Waybill asks for unless SCOPES says
// otherwise: exactly what its Admin API calls need (app/shopify's
// schema_test.go checks every query against Shopify's requiredAccess with
// these). A write scope grants its read scope too, so read_fulfillments and
// the read_*_fulfillment_orders scopes are not listed; read_locations is for
// FulfillmentOrder.assignedLocation.location; write_orders is not needed.
const DefaultScopes = "read_orders,read_customers,read_locations,write_fulfillments," +
	"write_assigned_fulfillment_orders,write_merchant_managed_fulfillment_orders," +
	"write_third_party_fulfillment_orders,write_app_proxy"

// secretVariables may also be given as NAME_FILE=/path (Docker and Kubernetes
// secrets), so they never have to sit in the process environment.
var secretVariables = []string{"SHOPIFY_API_SECRET", "WAYBILL_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_URL"}

// Config is the parsed, validated configuration.
type Config struct {
	ShopifyAPIKey      string `env:"SHOPIFY_API_KEY"`
	ShopifyAPISecret   string `env:"SHOPIFY_API_SECRET"`
	Scopes             string `env:"SCOPES"`
	AppURL             string `env:"SHOPIFY_APP_URL"`
	Port               string `env:"PORT" envDefault:"8080"`
	DatabaseURL        string `env:"DATABASE_URL" envDefault:"sqlite://waybill.db"`
	RedisURL           string `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`
	SMTPURL            string `env:"SMTP_URL"`
	EncryptionKeyText  string `env:"WAYBILL_ENCRYPTION_KEY"`
	ShopifyAdminOrigin string `env:"SHOPIFY_ADMIN_ORIGIN"`
	// Status providers' API origins: the public ones by default; tests and
	// the devstore point them at fakes.
	SeventeenTrackURL string `env:"SEVENTEENTRACK_API_URL" envDefault:"https://api.17track.net"`
	AfterShipURL      string `env:"AFTERSHIP_API_URL" envDefault:"https://api.aftership.com"`
	EasyPostURL       string `env:"EASYPOST_API_URL" envDefault:"https://api.easypost.com"`
	// Text providers' API origins (WhatsApp Cloud API on Meta's Graph API,
	// Twilio's Messages API); tests and the devstore point them at fakes.
	WhatsAppURL string `env:"WHATSAPP_API_URL" envDefault:"https://graph.facebook.com"`
	TwilioURL   string `env:"TWILIO_API_URL" envDefault:"https://api.twilio.com"`

	// RedisWaitReplicas > 0: a webhook is acknowledged only once that many
	// Redis replicas hold its task (WAIT), so a failover cannot lose it;
	// RedisWaitTimeout bounds the wait (then 503, and Shopify retries).
	// (Read as text, so a bad value gets an error naming the variable.)
	// InsightsSnapshotFrom: a preset insights period with at least this many
	// shipments is served from its snapshot (up to an hour old); a smaller
	// one is computed live, exact and still fast.
	InsightsSnapshotFrom int `env:"INSIGHTS_SNAPSHOT_FROM" envDefault:"10000"`

	RedisWaitReplicasText string `env:"REDIS_WAIT_REPLICAS" envDefault:"0"`
	RedisWaitTimeoutText  string `env:"REDIS_WAIT_TIMEOUT" envDefault:"1s"`

	// Derived values.
	RedisWaitReplicas int           `env:"-"`
	RedisWaitTimeout  time.Duration `env:"-"`
	EncryptionKey     []byte        `env:"-"`
	// DevEncryptionKey is true when no key was configured and a fixed
	// development key is in use (only allowed for a localhost app URL).
	DevEncryptionKey bool `env:"-"`
}

// Requirements say which variables a command needs: `waybill migrate` needs
// no Shopify credentials, for example.
type Requirements struct {
	ShopifyCredentials bool
}

// Load reads the process environment.
func Load(req Requirements) (Config, error) {
	return FromEnvironment(environMap(os.Environ()), req)
}

// FromEnvironment parses and validates the given variables (tests pass a map).
func FromEnvironment(environ map[string]string, req Requirements) (Config, error) {
	environ, err := resolveFileVariables(environ)
	if err != nil {
		return Config{}, err
	}
	var cfg Config
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return Config{}, oneLine(err)
	}
	if err := cfg.validate(req); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func environMap(pairs []string) map[string]string {
	m := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func resolveFileVariables(environ map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(environ))
	for k, v := range environ {
		out[k] = v
	}
	for _, name := range secretVariables {
		path := strings.TrimSpace(out[name+"_FILE"])
		if path == "" {
			continue
		}
		if out[name] != "" {
			return nil, fmt.Errorf("config: %s and %s_FILE are both set; set only one", name, name)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %s_FILE: cannot read %s: %v", name, path, errors.Unwrap(err))
		}
		out[name] = strings.TrimSpace(string(b))
	}
	return out, nil
}

// oneLine turns env's aggregated errors into the first one, named.
func oneLine(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	return fmt.Errorf("config: %v", err)
}

func (c *Config) validate(req Requirements) error {
	if req.ShopifyCredentials {
		if strings.TrimSpace(c.ShopifyAPIKey) == "" {
			return errors.New("config: SHOPIFY_API_KEY is required: the app's client id from the Partner Dashboard or `shopify app env show`")
		}
		if strings.TrimSpace(c.ShopifyAPISecret) == "" {
			return errors.New("config: SHOPIFY_API_SECRET is required: the app's client secret (or SHOPIFY_API_SECRET_FILE with its path)")
		}
	}
	port, err := strconv.Atoi(c.Port)
	if err != nil || port < 0 || port > 65535 {
		return fmt.Errorf("config: PORT must be a port number from 0 to 65535, got %q", c.Port)
	}
	if strings.TrimSpace(c.Scopes) == "" {
		c.Scopes = DefaultScopes
	}
	for _, s := range strings.Split(c.Scopes, ",") {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(strings.TrimSpace(s), " /?&") {
			return fmt.Errorf("config: SCOPES has an invalid scope %q", s)
		}
	}

	if c.AppURL == "" {
		c.AppURL = "http://localhost:" + c.Port
	}
	u, err := url.Parse(c.AppURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("config: SHOPIFY_APP_URL must be an origin like https://waybill.example.com, got %q", c.AppURL)
	}
	if u.Scheme == "http" && !isLocalhost(u.Hostname()) {
		return fmt.Errorf("config: SHOPIFY_APP_URL must use https outside localhost (Shopify refuses plain http), got %q", c.AppURL)
	}
	c.AppURL = strings.TrimSuffix(c.AppURL, "/")

	if err := validateDatabaseURL(c.DatabaseURL); err != nil {
		return err
	}
	if _, err := redis.ParseURL(c.RedisURL); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if c.RedisWaitReplicas, err = strconv.Atoi(strings.TrimSpace(c.RedisWaitReplicasText)); err != nil || c.RedisWaitReplicas < 0 {
		return fmt.Errorf("config: REDIS_WAIT_REPLICAS must be 0 (off) or the number of replicas to wait for, got %q", c.RedisWaitReplicasText)
	}
	// Shopify gives a delivery 5 seconds; a longer wait would be answered to nobody.
	if c.RedisWaitTimeout, err = time.ParseDuration(strings.TrimSpace(c.RedisWaitTimeoutText)); err != nil ||
		c.RedisWaitTimeout < 10*time.Millisecond || c.RedisWaitTimeout > 4*time.Second {
		return fmt.Errorf("config: REDIS_WAIT_TIMEOUT must be a duration from 10ms to 4s (Shopify waits 5 s for an answer), got %q", c.RedisWaitTimeoutText)
	}
	if c.SMTPURL != "" {
		s, err := url.Parse(c.SMTPURL)
		if err != nil || (s.Scheme != "smtp" && s.Scheme != "smtps") || s.Hostname() == "" {
			return fmt.Errorf("config: SMTP_URL must look like smtp://user:pass@host:587 (or smtps://), got a value that does not")
		}
	}
	for name, v := range map[string]*string{"SEVENTEENTRACK_API_URL": &c.SeventeenTrackURL, "AFTERSHIP_API_URL": &c.AfterShipURL, "EASYPOST_API_URL": &c.EasyPostURL,
		"WHATSAPP_API_URL": &c.WhatsAppURL, "TWILIO_API_URL": &c.TwilioURL} {
		o, err := url.Parse(*v)
		if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" || (o.Path != "" && o.Path != "/") {
			return fmt.Errorf("config: %s must be an origin like https://api.example.com, got %q", name, *v)
		}
		*v = strings.TrimSuffix(*v, "/")
	}
	if c.ShopifyAdminOrigin != "" {
		o, err := url.Parse(c.ShopifyAdminOrigin)
		if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" || (o.Path != "" && o.Path != "/") {
			return fmt.Errorf("config: SHOPIFY_ADMIN_ORIGIN must be an origin like http://127.0.0.1:9292, got %q", c.ShopifyAdminOrigin)
		}
		c.ShopifyAdminOrigin = strings.TrimSuffix(c.ShopifyAdminOrigin, "/")
	}

	switch {
	case c.EncryptionKeyText != "":
		key, err := decodeKey(c.EncryptionKeyText)
		if err != nil {
			return err
		}
		c.EncryptionKey = key
	case isLocalhost(u.Hostname()):
		// A fixed, public development key: it protects nothing, and is only
		// allowed where no real shop can reach the app.
		sum := sha256.Sum256([]byte("waybill development key: not for production"))
		c.EncryptionKey = sum[:]
		c.DevEncryptionKey = true
	default:
		return errors.New("config: WAYBILL_ENCRYPTION_KEY is required when SHOPIFY_APP_URL is not localhost: 32 random bytes as base64 or hex, e.g. `openssl rand -base64 32`")
	}
	return nil
}

func decodeKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if b, err := hex.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("config: WAYBILL_ENCRYPTION_KEY must be exactly 32 bytes, written as base64 (44 characters) or hex (64 characters)")
}

func validateDatabaseURL(raw string) error {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return errors.New("config: DATABASE_URL is not a valid postgres:// URL")
		}
	case strings.HasPrefix(raw, "sqlite://"):
		if strings.TrimPrefix(raw, "sqlite://") == "" {
			return errors.New("config: DATABASE_URL sqlite:// needs a file path, e.g. sqlite://waybill.db")
		}
	case raw == "":
		return errors.New("config: DATABASE_URL is empty: use postgres://… or sqlite://PATH")
	case strings.Contains(raw, "://"):
		return fmt.Errorf("config: DATABASE_URL must start with postgres:// or sqlite:// (or be a file path), got scheme %q", strings.SplitN(raw, "://", 2)[0])
	}
	return nil
}

func isLocalhost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addr is the listen address.
func (c Config) Addr() string { return ":" + c.Port }

// ScopeList returns the configured scopes.
func (c Config) ScopeList() []string {
	var out []string
	for _, s := range strings.Split(c.Scopes, ",") {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}
