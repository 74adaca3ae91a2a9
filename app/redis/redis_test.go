package redis_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/redis"
)

func open(t *testing.T) *redis.Client {
	url := os.Getenv("WAYBILL_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	c, rdb, err := redis.Open(url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rdb.Close(); err != nil {
			t.Errorf("closing Redis: %v", err)
		}
	})
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("redis is needed for tests: %v", err)
	}
	return c
}

func TestStatesAreSingleUseAndExpire(t *testing.T) {
	ctx := context.Background()
	c := open(t)
	state, err := c.Issue(ctx, "acme.myshopify.com", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if shop, err := c.Consume(ctx, state); err != nil || shop != "acme.myshopify.com" {
		t.Fatalf("first consume = %q, %v", shop, err)
	}
	if _, err := c.Consume(ctx, state); app.ErrorCodeOf(err) != app.ErrForbidden {
		t.Fatalf("second consume: %v", err)
	}
	short, err := c.Issue(ctx, "acme.myshopify.com", 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(120 * time.Millisecond)
	if _, err := c.Consume(ctx, short); app.ErrorCodeOf(err) != app.ErrForbidden {
		t.Fatalf("expired state: %v", err)
	}
	if _, err := c.Consume(ctx, "never-issued"); app.ErrorCodeOf(err) != app.ErrForbidden {
		t.Fatalf("foreign state: %v", err)
	}
}

func TestLockIsExclusive(t *testing.T) {
	c := open(t)
	key := "test-" + app.NewID()
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := c.Lock(context.Background(), key, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			if n > maxInside.Load() {
				maxInside.Store(n)
			}
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Fatalf("%d holders at once", maxInside.Load())
	}

	unlock, err := c.Lock(context.Background(), key, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, key, time.Second); err == nil {
		t.Fatal("a held lock was taken twice")
	}
}

func TestLimiterHoldsTheLimitAndFreesSlots(t *testing.T) {
	c := open(t)
	ctx := context.Background()
	key := "test-" + app.NewID()
	var releases []func()
	for i := 0; i < 3; i++ {
		release, ok, err := c.Acquire(ctx, key, 3, time.Minute)
		if err != nil || !ok {
			t.Fatalf("slot %d: %v %v", i, ok, err)
		}
		releases = append(releases, release)
	}
	if _, ok, err := c.Acquire(ctx, key, 3, time.Minute); err != nil {
		t.Fatal(err)
	} else if ok {
		t.Fatal("a fourth slot of three was given")
	}
	releases[0]()
	if _, ok, err := c.Acquire(ctx, key, 3, time.Minute); err != nil {
		t.Fatal(err)
	} else if !ok {
		t.Fatal("a released slot was not given again")
	}
	// A holder that died: its slot expires.
	other := "test-" + app.NewID()
	if _, ok, err := c.Acquire(ctx, other, 1, 50*time.Millisecond); err != nil || !ok {
		t.Fatalf("the slot of the holder that dies: %v %v", ok, err)
	}
	time.Sleep(80 * time.Millisecond)
	if _, ok, err := c.Acquire(ctx, other, 1, time.Minute); err != nil {
		t.Fatal(err)
	} else if !ok {
		t.Fatal("an expired slot was not freed")
	}
}
