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

// A key tried more often than its window still gets its limit in each
// window: refused calls do not extend the window.
func TestRateWindowIsNotExtendedByRefusedCalls(t *testing.T) {
	c := open(t)
	ctx := context.Background()
	key := "test:window:" + app.NewID()
	allowed := 0
	deadline := time.Now().Add(1100 * time.Millisecond)
	for time.Now().Before(deadline) {
		ok, err := c.Allow(ctx, key, 3, 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Over 1.1 s at 3 per 300 ms: at least three windows' worth, never more than four.
	if allowed < 9 || allowed > 12 {
		t.Fatalf("allowed %d calls in 1.1 s at 3 per 300 ms", allowed)
	}
}

// No window of the limit's length, wherever it starts, holds more than the
// limit: what a provider's own sliding limiter expects of a client.
func TestRateLimitHoldsInEverySlidingWindow(t *testing.T) {
	c := open(t)
	ctx := context.Background()
	key := "test:sliding:" + app.NewID()
	const window = 200 * time.Millisecond
	var allowedAt []time.Time
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		ok, err := c.Allow(ctx, key, 3, window)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowedAt = append(allowedAt, time.Now())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := range allowedAt {
		n := 0
		for _, at := range allowedAt[i:] {
			// A little slack for the time between Redis deciding and the test reading the clock.
			if at.Sub(allowedAt[i]) < window-15*time.Millisecond {
				n++
			}
		}
		if n > 3 {
			t.Fatalf("%d calls allowed within %v of %v", n, window, allowedAt[i])
		}
	}
	if len(allowedAt) < 12 {
		t.Fatalf("only %d calls allowed in a second at 3 per 200 ms", len(allowedAt))
	}
}
