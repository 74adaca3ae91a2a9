package redis

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
)

// connect opens a client of its own (a process of its own, as far as Redis
// can tell), closed at the test's end unless the test closes it first.
func connect(t *testing.T) (*Client, goredis.UniversalClient) {
	t.Helper()
	url := os.Getenv("WAYBILL_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	c, rdb, err := Open(url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("redis is needed for tests: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() }) // closed already by the tests that take Redis away
	return c, rdb
}

// taken reports whether key's only slot is held by someone.
func taken(t *testing.T, c *Client, key string) bool {
	t.Helper()
	release, ok, err := c.Acquire(context.Background(), key, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		release()
	}
	return !ok
}

// waitFree waits until key's slot is free again, at most within limit.
func waitFree(t *testing.T, c *Client, key string, limit time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for taken(t, c, key) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the slot is still held after %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A holder that works longer than the lease keeps its slot: the heartbeat
// renews it. Once released, it is free at once.
func TestRenewedSlotOutlivesItsLease(t *testing.T) {
	c, _ := connect(t)
	ctx := context.Background()
	key := "test:lease:" + app.NewID()
	const lease = 300 * time.Millisecond
	release, ok, err := c.acquire(ctx, key, 1, time.Minute, lease)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	for range 5 { // 1.5 s: five leases
		time.Sleep(lease)
		if !taken(t, c, key) {
			t.Fatal("a slot being renewed was given to someone else")
		}
	}
	release()
	if taken(t, c, key) {
		t.Fatal("a released slot is still held")
	}
}

// A holder whose process is gone (here: it lost its connection to Redis, so
// no heartbeat arrives) holds its slot no longer than the lease, although it
// asked for a minute and never released it.
func TestSlotOfADeadHolderFreesAfterItsLease(t *testing.T) {
	observer, _ := connect(t)
	dying, rdb := connect(t)
	key := "test:lease:" + app.NewID()
	const lease = 300 * time.Millisecond
	if _, ok, err := dying.acquire(context.Background(), key, 1, time.Minute, lease); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if err := rdb.Close(); err != nil {
		t.Fatal(err)
	}
	if !taken(t, observer, key) {
		t.Fatal("the slot was free before its lease ran out")
	}
	waitFree(t, observer, key, 10*lease, "a holder that stopped renewing")
}

// The heartbeat stops when the holder's context ends (its task finished or
// timed out without a release), and at the caller's ttl.
func TestRenewalStopsWithTheHoldersContextAndAtTTL(t *testing.T) {
	c, _ := connect(t)
	const lease = 300 * time.Millisecond

	key := "test:lease:" + app.NewID()
	ctx, cancel := context.WithCancel(context.Background())
	if _, ok, err := c.acquire(ctx, key, 1, time.Minute, lease); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	time.Sleep(2 * lease)
	if !taken(t, c, key) {
		t.Fatal("the slot was not renewed while its holder's context was alive")
	}
	cancel()
	waitFree(t, c, key, 10*lease, "a holder whose context ended")

	key = "test:lease:" + app.NewID()
	if _, ok, err := c.acquire(context.Background(), key, 1, 2*lease, lease); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	waitFree(t, c, key, 10*lease, "a holder past its ttl")
}
