package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

// A push queued while the shipment's push is running (an edit or a retry
// that push has read past) is not lost: the running task holds the id, so
// a follow-up runs after it, once however often it is asked for; a push
// queued while its task only waits adds nothing.
func TestAPushQueuedWhileItsShipmentIsPushedRunsAfterIt(t *testing.T) {
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 3})
	ctx := context.Background()
	started := make(chan string, 8)
	release := make(chan struct{})
	mux := asynq.NewServeMux()
	mux.HandleFunc(jobs.TypeTrackingSync, func(ctx context.Context, task *asynq.Task) error {
		started <- task.ResultWriter().TaskID()
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	srv := asynq.NewServerFromRedisClient(h.RDB, asynq.Config{Concurrency: 2, Queues: map[string]int{jobs.QueueDefault: 1},
		TaskCheckInterval: 50 * time.Millisecond, DelayedTaskCheckInterval: 200 * time.Millisecond})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	next := func(want string) {
		t.Helper()
		select {
		case got := <-started:
			if got != want {
				t.Fatalf("ran %s, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not run", want)
		}
	}
	if err := h.Queue.QueueTrackingSync(ctx, "shop.myshopify.com", "s1"); err != nil {
		t.Fatal(err)
	}
	next("tracking:sync:s1")
	for range 3 {
		if err := h.Queue.QueueTrackingSync(ctx, "shop.myshopify.com", "s1"); err != nil {
			t.Fatal(err)
		}
	}
	info, err := h.Inspect.GetTaskInfo(jobs.QueueDefault, "tracking:sync:s1:again")
	if err != nil || info.State != asynq.TaskStateScheduled {
		t.Fatalf("no follow-up scheduled while the push ran: %+v %v", info, err)
	}
	close(release)
	next("tracking:sync:s1:again")
	select {
	case got := <-started:
		t.Fatalf("a third push ran: %s", got)
	case <-time.After(3 * time.Second):
	}
	// Waiting to run: queueing again adds nothing.
	srv.Shutdown()
	for range 2 {
		if err := h.Queue.QueueTrackingSync(ctx, "shop.myshopify.com", "s2"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Inspect.GetTaskInfo(jobs.QueueDefault, "tracking:sync:s2:again"); err == nil {
		t.Fatal("a follow-up of a push that was only waiting")
	}
}
