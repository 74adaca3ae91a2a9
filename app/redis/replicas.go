package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
)

// Replicas waits until a number of replicas hold what was written before
// the call: after a failover the promoted replica then has it. WAIT only
// counts the writes of its own connection, and Asynq writes on connections
// of its pool, so the wait writes a marker on one connection and WAITs on
// that same connection: replication is one ordered stream, so a replica
// that has the marker has everything written before it.
type Replicas struct {
	rdb     goredis.UniversalClient
	n       int
	timeout time.Duration
	// marker is a key on the same Redis node as what the wait covers (its
	// hash tag picks the Cluster slot); on one server any key would do.
	marker string
}

// Replicas returns a wait for n replicas, each wait at most timeout.
// sameSlotAs is a hash tag ("{critical}") naming the slot of the keys the
// wait must cover when Redis is a Cluster, where WAIT is per node.
func (c *Client) Replicas(n int, timeout time.Duration, sameSlotAs string) *Replicas {
	return &Replicas{rdb: c.rdb, n: n, timeout: timeout, marker: "waybill:replicated:" + sameSlotAs}
}

// WaitReplicas implements webhooks.Replicas: nil once n replicas have
// everything written so far; ErrUnavailable when fewer confirm in time
// (the caller answers 503 and Shopify delivers again).
func (r *Replicas) WaitReplicas(ctx context.Context) error {
	node, ok := r.rdb.(*goredis.Client) // one server, or a Sentinel's primary
	if cluster, isCluster := r.rdb.(*goredis.ClusterClient); isCluster {
		var err error
		if node, err = cluster.MasterForKey(ctx, r.marker); err != nil {
			return app.WrapError(app.ErrUnavailable, err, "cannot reach the Redis primary to confirm replication")
		}
		ok = true
	}
	if !ok {
		return app.Errorf(app.ErrInternal, "redis: cannot wait for replicas on a %T", r.rdb)
	}
	conn := node.Conn()
	defer func() {
		// Closing returns the connection to the pool; it cannot fail in a
		// way that changes what this wait found.
		_ = conn.Close()
	}()
	if err := conn.Incr(ctx, r.marker).Err(); err != nil {
		return app.WrapError(app.ErrUnavailable, err, "cannot confirm replication")
	}
	got, err := conn.Wait(ctx, r.n, r.timeout).Result()
	if err != nil {
		return app.WrapError(app.ErrUnavailable, err, "cannot confirm replication")
	}
	if got < int64(r.n) {
		return app.WrapError(app.ErrUnavailable, fmt.Errorf("%d of %d replicas confirmed within %s", got, r.n, r.timeout),
			"Redis replicas did not confirm the write in time")
	}
	return nil
}
