package jobs_test

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

// A task that gave up (archived) does not keep its id from the next real
// attempt: the merchant's "push again" of a failed shipment is queued; a
// task still waiting keeps it (a repeat is a no-op).
func TestAnArchivedTaskDoesNotBlockTheNextAttempt(t *testing.T) {
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 3})
	ctx := context.Background()
	client := jobs.NewClient(h.RDB)
	if err := client.QueueTrackingSync(ctx, "acme.myshopify.com", "ship-1"); err != nil {
		t.Fatal(err)
	}
	id := jobs.TypeTrackingSync + ":ship-1"
	if err := client.QueueTrackingSync(ctx, "acme.myshopify.com", "ship-1"); err != nil {
		t.Fatal(err)
	}
	if err := h.Inspect.ArchiveTask(jobs.QueueDefault, id); err != nil {
		t.Fatal(err)
	}
	if err := client.QueueTrackingSync(ctx, "acme.myshopify.com", "ship-1"); err != nil {
		t.Fatal(err)
	}
	info, err := h.Inspect.GetTaskInfo(jobs.QueueDefault, id)
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("after the archived one: %+v %v", info, err)
	}
	pending, err := h.Inspect.ListPendingTasks(jobs.QueueDefault)
	if err != nil || len(pending) != 1 {
		t.Fatalf("%d pending: %v", len(pending), err)
	}
}
