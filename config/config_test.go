package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/config"
)

var need = config.Requirements{ShopifyCredentials: true}

func valid() map[string]string {
	return map[string]string{
		"SHOPIFY_API_KEY":        "key",
		"SHOPIFY_API_SECRET":     "secret",
		"SHOPIFY_APP_URL":        "https://waybill.example.com",
		"WAYBILL_ENCRYPTION_KEY": strings.Repeat("ab", 32),
	}
}

func TestDefaults(t *testing.T) {
	env := map[string]string{"SHOPIFY_API_KEY": "key", "SHOPIFY_API_SECRET": "secret"}
	cfg, err := config.FromEnvironment(env, need)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != "8080" || cfg.AppURL != "http://localhost:8080" || cfg.DatabaseURL != "sqlite://waybill.db" ||
		cfg.RedisURL != "redis://127.0.0.1:6379/0" || cfg.Scopes != config.DefaultScopes || cfg.SMTPURL != "" {
		t.Fatalf("defaults wrong: %+v", cfg)
	}
	if !cfg.DevEncryptionKey || len(cfg.EncryptionKey) != 32 {
		t.Fatal("a localhost app without a key must get the development key")
	}
	want := []string{"read_orders", "read_customers", "read_locations", "write_fulfillments", "write_assigned_fulfillment_orders",
		"write_merchant_managed_fulfillment_orders", "write_third_party_fulfillment_orders", "write_app_proxy"}
	if got := cfg.ScopeList(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("default scopes: %v, want %v", got, want)
	}
}

// Each required variable, when missing, gives one line that names it.
func TestMissingRequiredVariables(t *testing.T) {
	for _, name := range []string{"SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "WAYBILL_ENCRYPTION_KEY"} {
		t.Run(name, func(t *testing.T) {
			env := valid()
			delete(env, name)
			_, err := config.FromEnvironment(env, need)
			if err == nil {
				t.Fatalf("missing %s accepted", name)
			}
			if !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q must be one line naming %s", err, name)
			}
		})
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	cases := map[string]string{
		"PORT":                   "eighty",
		"SHOPIFY_APP_URL":        "http://waybill.example.com",
		"DATABASE_URL":           "mysql://x",
		"REDIS_URL":              "http://x",
		"REDIS_WAIT_REPLICAS":    "one",
		"REDIS_WAIT_TIMEOUT":     "10",
		"SMTP_URL":               "mailto:x",
		"WAYBILL_ENCRYPTION_KEY": "too-short",
		"SHOPIFY_ADMIN_ORIGIN":   "not a url",
		"SCOPES":                 "read_orders,,write_orders",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			env := valid()
			env[name] = value
			_, err := config.FromEnvironment(env, need)
			if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s=%q: err = %v, want one line naming %s", name, value, err, name)
			}
		})
	}
}

func TestEncryptionKeyFormats(t *testing.T) {
	for _, k := range []string{strings.Repeat("0f", 32), "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="} {
		env := valid()
		env["WAYBILL_ENCRYPTION_KEY"] = k
		cfg, err := config.FromEnvironment(env, need)
		if err != nil || len(cfg.EncryptionKey) != 32 || cfg.DevEncryptionKey {
			t.Fatalf("key %q: %v", k, err)
		}
	}
}

func TestFileVariants(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := valid()
	delete(env, "SHOPIFY_API_SECRET")
	env["SHOPIFY_API_SECRET_FILE"] = path
	cfg, err := config.FromEnvironment(env, need)
	if err != nil || cfg.ShopifyAPISecret != "from-file" {
		t.Fatalf("secret from file = %q, %v", cfg.ShopifyAPISecret, err)
	}

	env["SHOPIFY_API_SECRET"] = "also-set"
	if _, err := config.FromEnvironment(env, need); err == nil || !strings.Contains(err.Error(), "SHOPIFY_API_SECRET_FILE") {
		t.Fatalf("both set: %v", err)
	}
	delete(env, "SHOPIFY_API_SECRET")
	env["SHOPIFY_API_SECRET_FILE"] = filepath.Join(dir, "missing")
	if _, err := config.FromEnvironment(env, need); err == nil || !strings.Contains(err.Error(), "SHOPIFY_API_SECRET_FILE") {
		t.Fatalf("unreadable file: %v", err)
	}
}

func TestMigrateNeedsNoShopifyCredentials(t *testing.T) {
	if _, err := config.FromEnvironment(map[string]string{"DATABASE_URL": "sqlite:///tmp/x.db"}, config.Requirements{}); err != nil {
		t.Fatal(err)
	}
}

// shopify.app.toml (what `shopify app deploy` configures) asks for the same
// scopes as the default, or installs and token exchanges would grant
// something else than what Waybill's calls were checked against.
func TestAppTomlScopesAreTheDefault(t *testing.T) {
	toml, err := os.ReadFile("../shopify.app.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(toml), "\n") {
		if v, ok := strings.CutPrefix(line, "scopes = "); ok {
			if got := strings.Trim(v, `"`); got != config.DefaultScopes {
				t.Fatalf("shopify.app.toml scopes = %q, config.DefaultScopes = %q", got, config.DefaultScopes)
			}
			return
		}
	}
	t.Fatal("shopify.app.toml has no scopes line")
}
