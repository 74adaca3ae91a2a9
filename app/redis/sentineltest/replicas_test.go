package sentineltest_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/redis"
	"github.com/waybill-app/waybill/app/redis/sentineltest"
)

// The wait behind REDIS_WAIT_REPLICAS passes once the replica has what was
// written, and refuses (503 for the webhook) when fewer replicas exist than
// asked for.
func TestReplicasWait(t *testing.T) {
	rs := sentineltest.Start(t)
	ctx := context.Background()
	c, rdb, err := redis.Open(rs.URL(0), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rdb.Close(); err != nil {
			t.Errorf("closing Redis: %v", err)
		}
	})
	if err := rdb.Set(ctx, "waybill:test", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Replicas(1, time.Second, "{critical}").WaitReplicas(ctx); err != nil {
		t.Fatalf("one replica in sync: %v", err)
	}
	err = c.Replicas(2, 200*time.Millisecond, "{critical}").WaitReplicas(ctx)
	if app.ErrorCodeOf(err) != app.ErrUnavailable {
		t.Fatalf("two replicas asked, one exists: err = %v, want unavailable", err)
	}
}
