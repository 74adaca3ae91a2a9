package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/seal"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestMigrationsApplyOnEmptyDatabaseAndAreIdempotent(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db, err := store.Open(ctx, storetest.URL(t, engine), apptest.Sealer(), apptest.NewClock(t0))
		if err != nil {
			t.Fatal(err)
		}
		closeAtEnd(t, db)
		if err := db.CheckSchemaCurrent(ctx); err == nil {
			t.Fatal("an empty database reported as current")
		}
		n, err := db.Migrate(ctx)
		if err != nil || n == 0 {
			t.Fatalf("first migrate applied %d, %v", n, err)
		}
		n, err = db.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, %v; want 0, nil", n, err)
		}
		if err := db.CheckSchemaCurrent(ctx); err != nil {
			t.Fatal(err)
		}
		current, known, err := db.SchemaVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if current != known {
			t.Fatalf("at %d, knows %d", current, known)
		}
	})
}

func TestRefusesNewerSchema(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		// A newer Waybill applied migration 9999.
		if err := db.Gorm().Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)").Error; err != nil {
			t.Fatal(err)
		}
		_, err := db.Migrate(ctx)
		if app.ErrorCodeOf(err) != app.ErrSchemaTooNew || !strings.Contains(err.Error(), "9999") {
			t.Fatalf("Migrate on a newer schema: %v", err)
		}
		if app.ErrorCodeOf(db.CheckSchemaCurrent(ctx)) != app.ErrSchemaTooNew {
			t.Fatal("CheckSchemaCurrent accepted a newer schema")
		}
	})
}

func TestShopInstallReinstallAndSealedTokens(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		tok := app.OfflineToken{
			AccessToken: "shpat_clear_access", AccessTokenExpiresAt: t0.Add(time.Hour),
			RefreshToken: "shprt_clear_refresh", RefreshTokenExpiresAt: t0.Add(90 * 24 * time.Hour),
			Scopes: "read_orders,write_orders",
		}
		shop, err := db.SaveInstall(ctx, "acme.myshopify.com", tok)
		if err != nil {
			t.Fatal(err)
		}
		if shop.Token != tok || !shop.Active() || !shop.InstalledAt.Equal(t0) {
			t.Fatalf("saved shop = %+v", shop)
		}

		// The database never holds the clear tokens.
		var row map[string]any
		if err := db.Gorm().Raw("SELECT * FROM shops WHERE domain = ?", "acme.myshopify.com").Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		for col, v := range row {
			if s, ok := v.(string); ok && (strings.Contains(s, "shpat_clear") || strings.Contains(s, "shprt_clear")) {
				t.Fatalf("column %s holds a clear token", col)
			}
		}
		if !strings.HasPrefix(row["access_token_sealed"].(string), "v1:") {
			t.Fatalf("access token not sealed: %v", row["access_token_sealed"])
		}

		// Uninstalled then reinstalled: same row, new token, mark cleared.
		if err := db.Gorm().Exec("UPDATE shops SET uninstalled_at = ? WHERE domain = ?", t0, "acme.myshopify.com").Error; err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		tok2 := tok
		tok2.AccessToken = "shpat_second"
		again, err := db.SaveInstall(ctx, "acme.myshopify.com", tok2)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != shop.ID || again.UninstalledAt != nil || again.Token.AccessToken != "shpat_second" || !again.InstalledAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("reinstall = %+v", again)
		}
		var count int64
		if err := db.Gorm().Table("shops").Count(&count).Error; err != nil {
			t.Fatal(err)
		}
		if count != 1 {
			t.Fatalf("%d shop rows after reinstall, want 1", count)
		}

		// A refused refresh: marked, tokens destroyed, no longer active.
		if err := db.MarkNeedsReauth(ctx, "acme.myshopify.com", "refresh token revoked"); err != nil {
			t.Fatal(err)
		}
		marked, err := db.ShopByDomain(ctx, "acme.myshopify.com")
		if err != nil {
			t.Fatal(err)
		}
		if marked.Active() || marked.Token.AccessToken != "" || marked.NeedsReauthReason != "refresh token revoked" {
			t.Fatalf("after MarkNeedsReauth: %+v", marked)
		}
		if _, err := db.ShopByDomain(ctx, "nope.myshopify.com"); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("unknown shop: %v", err)
		}
	})
}

func TestWrongKeyFailsLoudly(t *testing.T) {
	ctx := context.Background()
	url := storetest.URL(t, store.SQLite)
	db, err := store.Open(ctx, url, apptest.Sealer(), apptest.NewClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "shpat_x"})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	other, err := seal.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(ctx, url, other, apptest.NewClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db2)
	_, err = db2.ShopByDomain(ctx, "acme.myshopify.com")
	if err == nil || !strings.Contains(err.Error(), "WAYBILL_ENCRYPTION_KEY") {
		t.Fatalf("reading with the wrong key: %v", err)
	}
}

func TestTokensExpiringSoon(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		install(t, db, "soon.myshopify.com", app.OfflineToken{AccessToken: "a", RefreshToken: "r", AccessTokenExpiresAt: t0.Add(5 * time.Minute)})
		install(t, db, "later.myshopify.com", app.OfflineToken{AccessToken: "a", RefreshToken: "r", AccessTokenExpiresAt: t0.Add(50 * time.Minute)})
		install(t, db, "legacy.myshopify.com", app.OfflineToken{AccessToken: "a"})
		got, err := db.ShopsWithTokensExpiringBefore(ctx, t0.Add(10*time.Minute))
		if err != nil || len(got) != 1 || got[0] != "soon.myshopify.com" {
			t.Fatalf("expiring = %v, %v", got, err)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		if _, _, err := db.CreateAPIKey(ctx, "ghost.myshopify.com", "x"); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("key for an unknown shop: %v", err)
		}
		install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		key, meta, err := db.CreateAPIKey(ctx, "acme.myshopify.com", "Supplier A")
		if err != nil || !strings.HasPrefix(key, app.APIKeyPrefix) || meta.Name != "Supplier A" {
			t.Fatalf("create = %q %+v %v", key, meta, err)
		}
		var stored int64
		if err := db.Gorm().Raw("SELECT COUNT(*) FROM api_keys WHERE key_hash = ? OR prefix = ?", key, key).Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if stored != 0 {
			t.Fatal("the clear key is stored")
		}
		shop, err := db.ShopForAPIKey(ctx, key)
		if err != nil || shop.Domain != "acme.myshopify.com" {
			t.Fatalf("lookup = %v, %v", shop, err)
		}
		if _, err := db.ShopForAPIKey(ctx, key+"x"); app.ErrorCodeOf(err) != app.ErrUnauthorized {
			t.Fatalf("wrong key: %v", err)
		}
	})
}

func TestForeignKeysEnforced(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		err := db.Gorm().Exec("INSERT INTO api_keys (id, shop_id, prefix, key_hash, created_at) VALUES ('k', 'no-such-shop', 'p', 'h', ?)", t0).Error
		if err == nil {
			t.Fatal("an api key for a missing shop was accepted: foreign keys are off")
		}
	})
}

func TestMarkSyncedKeepsAnEditMadeDuringThePush(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		out, err := db.CreateShipments(ctx, []*app.Shipment{{ShopID: shop.ID, OrderRef: "#1001", TrackingNumber: "OLD1", Source: app.SourceAPI,
			State: app.ShipmentSyncing}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		id := out[0].ShipmentID
		// The merchant changes the number while the push of OLD1 runs.
		if _, err := db.EditShipmentTracking(ctx, id, "NEW2", "UPS", ""); err != nil {
			t.Fatal(err)
		}
		synced, err := db.MarkShipmentSynced(ctx, id, "OLD1", 99, "Fulfillment created.")
		if err != nil {
			t.Fatal(err)
		}
		s, err := db.ShipmentByID(ctx, id)
		if err != nil || synced || s.State != app.ShipmentPending || s.ShopifyFulfillmentID != 99 || s.TrackingNumber != "NEW2" {
			t.Fatalf("after a stale push: synced=%v %+v %v", synced, s, err)
		}
		// The next push (an update of fulfillment 99) completes it.
		if synced, err := db.MarkShipmentSynced(ctx, id, "NEW2", 99, "Tracking number updated."); err != nil || !synced {
			t.Fatalf("second push: %v %v", synced, err)
		}
		if s, err := db.ShipmentByID(ctx, id); err != nil || s.State != app.ShipmentSynced {
			t.Fatalf("after the second push: %+v %v", s, err)
		}
	})
}

func TestWebhookLogPrune(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		mark := func(id string) {
			t.Helper()
			if err := db.MarkWebhookProcessed(ctx, "acme.myshopify.com", "orders/create", id); err != nil {
				t.Fatal(err)
			}
		}
		mark("old")
		clock.Advance(8 * 24 * time.Hour)
		mark("new")
		mark("new") // a repeat is one row
		n, err := db.PruneWebhookLog(ctx, clock.Now().Add(-7*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
		old, err := db.WebhookProcessed(ctx, "orders/create", "old")
		if err != nil {
			t.Fatal(err)
		}
		recent, err := db.WebhookProcessed(ctx, "orders/create", "new")
		if err != nil {
			t.Fatal(err)
		}
		if old || !recent {
			t.Fatalf("after prune: old=%v new=%v", old, recent)
		}
	})
}

// install saves an install of domain, failing the test if it cannot.
func install(t *testing.T, db *store.DB, domain string, tok app.OfflineToken) *app.Shop {
	t.Helper()
	shop, err := db.SaveInstall(context.Background(), domain, tok)
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

// closeAtEnd closes db when the test ends, failing it if that fails.
func closeAtEnd(t *testing.T, db *store.DB) {
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
}
