// Package redistest connects tests to the real Redis. Each test package uses
// its own database number, because `go test ./...` runs packages in parallel
// and Asynq queues must not be shared between them.
package redistest

import (
	"context"
	"fmt"
	"net/url"
	"os"

	goredis "github.com/redis/go-redis/v9"
	"github.com/waybill-app/waybill/app/apptest"
)

// URL is the Redis URL for database db (WAYBILL_TEST_REDIS_URL's server, or
// the local one).
func URL(db int) string {
	base := os.Getenv("WAYBILL_TEST_REDIS_URL")
	if base == "" {
		base = "redis://127.0.0.1:6379/0"
	}
	u, err := url.Parse(base)
	if err != nil {
		// No testing.TB here (callers build environments with it), and no
		// test can run against a server it cannot name.
		panic(fmt.Sprintf("redistest: WAYBILL_TEST_REDIS_URL %q: %v", base, err))
	}
	u.Path = fmt.Sprintf("/%d", db)
	return u.String()
}

// Open returns a client on an emptied database db, closed after the test.
func Open(t apptest.TB, db int) *goredis.Client {
	t.Helper()
	opts, err := goredis.ParseURL(URL(db))
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("Redis is needed for tests (start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no`): %v", err)
	}
	t.Cleanup(func() {
		if err := rdb.Close(); err != nil {
			t.Errorf("closing Redis: %v", err)
		}
	})
	return rdb
}
