package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
	"github.com/waybill-app/waybill/webhooks"
)

const shop = "acme.myshopify.com"

type env struct {
	*wiringtest.Harness
	fake   *shopifyfake.Store
	db     *store.DB
	rdb    goredis.UniversalClient
	client *jobs.Client
	clock  *apptest.Clock
	stop   func() error
}

// startWorker runs a worker until stopWorker.
func (e *env) startWorker(shutdownTimeout time.Duration) {
	opts := wiringtest.TestWorker(4)
	opts.ShutdownTimeout = shutdownTimeout
	e.stop = e.StartWorker(opts)
}

func (e *env) stopWorker() error { return e.stop() }

func newEnv(t *testing.T) *env {
	clock := apptest.NewClock(time.Now())
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 3, Clock: clock, Shops: []string{shop}})
	e := &env{Harness: h, fake: h.Fake, db: h.DB, rdb: h.RDB, client: h.Queue, clock: clock}
	e.startWorker(5 * time.Second)
	return e
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wiringtest.Eventually(t, what, cond)
}

func TestShopSetupSubscribesOnceWhateverTheRepeats(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for range 3 {
		if err := e.client.QueueShopSetup(ctx, shop); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every subscription", func() bool { return len(e.fake.Subscriptions(shop)) == len(webhooks.SubscribedTopics()) })
	// Run it again after it finished: still one each (it looks before creating).
	if err := e.client.QueueShopSetup(ctx, shop); err != nil {
		t.Fatal(err)
	}
	inspector := asynq.NewInspectorFromRedisClient(e.rdb)
	eventually(t, "the queue to drain", func() bool {
		info, err := inspector.GetQueueInfo(jobs.QueueDefault)
		return err == nil && info.Pending == 0 && info.Active == 0
	})
	subs := e.fake.Subscriptions(shop)
	if len(subs) != len(webhooks.SubscribedTopics()) {
		t.Fatalf("%d subscriptions after a repeat, want %d", len(subs), len(webhooks.SubscribedTopics()))
	}
	for _, s := range subs {
		if s.URI != e.URL+"/webhooks" {
			t.Fatalf("subscription to %s", s.URI)
		}
	}
}

func TestShopSetupRetriesThroughOutagesAndArchivesWhenReauthIsNeeded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fake.InjectFaults(shopifyfake.Faults{ServerErrors: 4}) // go-shopify retries 503s, then the job retries
	if err := e.client.QueueShopSetup(ctx, shop); err != nil {
		t.Fatal(err)
	}
	// First attempt fails; the retry comes after a backoff of a few seconds.
	eventually(t, "subscriptions after the outage", func() bool { return len(e.fake.Subscriptions(shop)) == len(webhooks.SubscribedTopics()) })

	other := "gone.myshopify.com"
	e.fake.AddShop(shopifyfake.Shop{Domain: other})
	if _, err := e.db.SaveInstall(ctx, other, app.OfflineToken{AccessToken: "shpat_revoked", AccessTokenExpiresAt: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := e.client.QueueShopSetup(ctx, other); err != nil {
		t.Fatal(err)
	}
	inspector := asynq.NewInspectorFromRedisClient(e.rdb)
	eventually(t, "the task to be archived", func() bool {
		tasks, err := inspector.ListArchivedTasks(jobs.QueueDefault)
		if err != nil {
			t.Fatal(err)
		}
		return len(tasks) == 1
	})
	tasks, err := inspector.ListArchivedTasks(jobs.QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	if tasks[0].Retried != 0 || !strings.Contains(tasks[0].LastErr, "refused the shop's access token") {
		t.Fatalf("archived after %d retries with %q: want at once, with the reason", tasks[0].Retried, tasks[0].LastErr)
	}
}

func TestTokenSweepRefreshesTokensAboutToExpire(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(50 * time.Minute)
	before := e.Shop(shop)
	if _, err := asynq.NewClientFromRedisClient(e.rdb).Enqueue(jobs.NewTokenSweepTask()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a refresh", func() bool { return e.fake.Calls("grant:refresh_token") == 1 })
	eventually(t, "the new token to be stored", func() bool {
		after := e.Shop(shop)
		return after.Token.AccessToken != before.Token.AccessToken && after.Token.AccessTokenExpiresAt.After(e.clock.Now().Add(50*time.Minute))
	})
}

func TestRetryPolicy(t *testing.T) {
	throttled := app.Errorf(app.ErrRateLimited, "throttled")
	outage := app.Errorf(app.ErrUnavailable, "down")
	if jobs.IsFailure(throttled) || !jobs.IsFailure(outage) || !jobs.IsFailure(errors.New("x")) {
		t.Fatal("only throttles must be free of the retry budget")
	}
	if d := jobs.RetryDelay(8, throttled, nil); d > 2*time.Second {
		t.Fatalf("throttle delay %v, want a few seconds", d)
	}
	prev := time.Duration(0)
	for n := 0; n < 12; n++ {
		d := jobs.RetryDelay(n, outage, nil)
		if d > time.Hour || (n > 0 && d < prev/4) {
			t.Fatalf("retry %d: %v after %v", n, d, prev)
		}
		prev = d
	}
	if d := jobs.RetryDelay(11, outage, nil); d < 30*time.Minute {
		t.Fatalf("late retries wait %v, want tens of minutes", d)
	}
}

func TestShutdownReturnsUnfinishedTasksToTheQueue(t *testing.T) {
	e := newEnv(t)
	if err := e.stopWorker(); err != nil {
		t.Fatal(err)
	}
	e.startWorker(200 * time.Millisecond)
	e.fake.InjectFaults(shopifyfake.Faults{Latency: 2 * time.Second}) // every Shopify call is slow
	if err := e.client.QueueShopSetup(context.Background(), shop); err != nil {
		t.Fatal(err)
	}
	inspector := asynq.NewInspectorFromRedisClient(e.rdb)
	eventually(t, "the task to start", func() bool {
		info, err := inspector.GetQueueInfo(jobs.QueueDefault)
		return err == nil && info.Active == 1
	})
	if err := e.stopWorker(); err != nil { // SIGTERM in production
		t.Fatal(err)
	}
	info, err := inspector.GetTaskInfo(jobs.QueueDefault, jobs.TypeShopSetup+":"+shop)
	if err != nil {
		t.Fatalf("the in-flight task was lost at shutdown: %v", err)
	}
	if info.State == asynq.TaskStateArchived || info.State == asynq.TaskStateCompleted {
		t.Fatalf("in-flight task after shutdown is %v", info.State)
	}
	e.fake.InjectFaults(shopifyfake.Faults{})
	e.startWorker(5 * time.Second)
	eventually(t, "the next worker to finish the task", func() bool { return len(e.fake.Subscriptions(shop)) == len(webhooks.SubscribedTopics()) })
}
