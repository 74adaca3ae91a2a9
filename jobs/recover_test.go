package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/jobs"
)

// take puts a queued task in the state Asynq's dequeue leaves it in (active,
// with a lease ending at leaseEnd), as if a worker had taken it then.
func take(t *testing.T, rdb goredis.UniversalClient, id string, leaseEnd time.Time) {
	t.Helper()
	ctx := context.Background()
	const q = "asynq:{" + jobs.QueueDefault + "}:"
	if err := rdb.LRem(ctx, q+"pending", 0, id).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.LPush(ctx, q+"active", id).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, q+"t:"+id, "state", "active").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ZAdd(ctx, q+"lease", goredis.Z{Score: float64(leaseEnd.Unix()), Member: id}).Err(); err != nil {
		t.Fatal(err)
	}
}

func state(t *testing.T, inspect *asynq.Inspector, id string) asynq.TaskState {
	t.Helper()
	info, err := inspect.GetTaskInfo(jobs.QueueDefault, id)
	if err != nil {
		t.Fatal(err)
	}
	return info.State
}

// Only the task no running process holds goes back to its queue: not one a
// live worker's heartbeat lists (even with a lease gone stale), not one just
// taken (a fresh lease, before its worker's next heartbeat lists it). A task
// taken back too often is left to Asynq's own recoverer.
func TestRecoverOrphansTakesBackOnlyWhatNoLiveWorkerHolds(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Open(t, 3)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := asynq.NewClientFromRedisClient(rdb)
	inspect := asynq.NewInspectorFromRedisClient(rdb)
	for _, id := range []string{"dead", "listed", "fresh"} {
		if _, err := client.Enqueue(asynq.NewTask(jobs.TypeTrackingSync, []byte(`{}`)), asynq.Queue(jobs.QueueDefault), asynq.TaskID(id)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	stale := now.Add(10 * time.Second) // extended 20 s ago: four heartbeats missed
	take(t, rdb, "dead", stale)
	take(t, rdb, "listed", stale)
	take(t, rdb, "fresh", now.Add(30*time.Second))
	// A live server's heartbeat, as Asynq writes it.
	workers := "asynq:workers:{host:42:server}"
	if err := rdb.HSet(ctx, workers, "listed", "info").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Expire(ctx, workers, 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ZAdd(ctx, "asynq:workers", goredis.Z{Score: float64(now.Add(10 * time.Second).Unix()), Member: workers}).Err(); err != nil {
		t.Fatal(err)
	}

	n, err := jobs.RecoverOrphans(ctx, rdb, log)
	if err != nil || n != 1 {
		t.Fatalf("recovered %d (%v), want the dead worker's one task", n, err)
	}
	if s := state(t, inspect, "dead"); s != asynq.TaskStatePending {
		t.Fatalf("the dead worker's task is %v, want pending", s)
	}
	for _, id := range []string{"listed", "fresh"} {
		if s := state(t, inspect, id); s != asynq.TaskStateActive {
			t.Fatalf("task %s of a live worker is %v: it was taken from its worker", id, s)
		}
	}
	pending, err := inspect.ListPendingTasks(jobs.QueueDefault)
	if err != nil || len(pending) != 1 || pending[0].ID != "dead" {
		t.Fatalf("pending: %v %v", pending, err)
	}

	// The same task dying with its worker again and again (it may be what
	// kills it): taken back three times, then left to Asynq.
	for round := 2; round <= 4; round++ {
		take(t, rdb, "dead", stale)
		n, err := jobs.RecoverOrphans(ctx, rdb, log)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[round <= 3]; n != want {
			t.Fatalf("round %d: recovered %d, want %d", round, n, want)
		}
	}
	if s := state(t, inspect, "dead"); s != asynq.TaskStateActive {
		t.Fatalf("a task requeued three times is %v, want left active for Asynq's recoverer", s)
	}
}
