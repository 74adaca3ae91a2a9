// Package storetest opens real, empty, migrated databases for tests: a SQLite
// file in a temporary directory, and a fresh Postgres database created on the
// server at WAYBILL_TEST_POSTGRES_URL (default: the local test server) and
// dropped afterwards.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
)

// DefaultPostgresURL is the machine's test server (trust auth).
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engines are the databases every store test runs on.
var Engines = []store.Engine{store.SQLite, store.Postgres}

// PostgresAdminURL is where test databases are created.
func PostgresAdminURL() string {
	if u := os.Getenv("WAYBILL_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// URL returns the DATABASE_URL of a new empty database on engine; it is
// removed when the test ends.
func URL(t apptest.TB, engine store.Engine) string {
	t.Helper()
	if engine == store.SQLite {
		return "sqlite://" + filepath.Join(t.TempDir(), "waybill.db")
	}
	admin, err := sql.Open("pgx", PostgresAdminURL())
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() {
		if err := admin.Close(); err != nil {
			t.Errorf("postgres: %v", err)
		}
	})
	b := make([]byte, 6)
	rand.Read(b)
	name := "waybill_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("postgres at %s is needed for tests (start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`): %v", PostgresAdminURL(), err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("postgres: dropping the test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(PostgresAdminURL())
	if err != nil {
		t.Fatalf("WAYBILL_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a migrated store on a new database.
func Open(t apptest.TB, engine store.Engine, clock app.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), URL(t, engine), apptest.Sealer(), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// ForEachEngine runs fn as a subtest on each engine.
func ForEachEngine(t *testing.T, fn func(t *testing.T, engine store.Engine)) {
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) { fn(t, e) })
	}
}
