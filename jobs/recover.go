package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"
)

// Work that died with a worker process, picked up in seconds.
//
// Asynq (v0.26) gives each task a worker takes a lease (asynq:{queue}:lease,
// scored by its end in Unix seconds): 30 s, extended by the worker's
// heartbeat every 5 s. The same heartbeat writes asynq:servers:{host:pid:id}
// and the hash asynq:workers:{host:pid:id} (one field per task it runs, by
// task id), both with a 10 s TTL, and asynq:workers (a sorted set of those
// hashes). Its recoverer runs once a minute and takes back tasks whose lease
// ended more than 30 s before: after a kill -9 a task waits 60 to 120 s,
// and none of those durations can be configured.
//
// Every worker process therefore also looks, at start and every few
// seconds, for active tasks that no running process holds: not listed in any
// workers hash still alive in Redis (so their process has missed two
// heartbeats), and with a lease nobody has extended for 15 s (three
// heartbeats; a task taken a moment ago has a fresh one). Such a task goes
// back to the head of its queue exactly as Asynq puts back the tasks a
// stopping worker could not finish (its requeue script, mirrored in
// requeueOrphanScript, which checks the lease again atomically). A live
// worker's task is never taken: its heartbeat keeps it listed and its lease
// fresh. Only a process stalled for 15 s or more (longer than any GC pause)
// looks dead, as it does to Asynq after its lease. Handlers are idempotent
// (look before creating a fulfillment, one email row per shipment and
// event), so the second run of a task that half ran is safe. A task taken
// back three times within an hour (one that kills its worker?) is left to
// Asynq's recoverer, which counts a retry each time and archives it at the
// end of its retries.
const (
	asynqLease       = 30 * time.Second // asynq internal/rdb.LeaseDuration
	orphanStaleAfter = 15 * time.Second // lease not extended for this long
	orphanCheckEvery = 2 * time.Second
	orphanMaxFast    = 3 // fast recoveries of one task per orphanCountTTL
	orphanCountTTL   = time.Hour
)

// requeueOrphanScript: KEYS[1] asynq:{q}:active, KEYS[2] asynq:{q}:lease,
// KEYS[3] asynq:{q}:pending, KEYS[4] asynq:{q}:t:<id>, KEYS[5] our count of
// fast recoveries of the task (waybill:orphaned:{q}:<id>: the queue's hash tag
// keeps every key in one Redis Cluster slot); ARGV[1] task id, ARGV[2] the newest lease end
// that counts as stale (Unix s), ARGV[3] orphanMaxFast, ARGV[4] the count's
// TTL (s). 1 requeued, 0 not an orphan (any more), -1 left to Asynq.
var requeueOrphanScript = goredis.NewScript(`
local lease = redis.call("ZSCORE", KEYS[2], ARGV[1])
if not lease or tonumber(lease) > tonumber(ARGV[2]) then
  return 0
end
if redis.call("HGET", KEYS[4], "state") ~= "active" then
  return 0
end
local n = redis.call("INCR", KEYS[5])
redis.call("EXPIRE", KEYS[5], ARGV[4])
if n > tonumber(ARGV[3]) then
  return -1
end
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 then
  return 0
end
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("RPUSH", KEYS[3], ARGV[1])
redis.call("HSET", KEYS[4], "state", "pending")
return 1`)

// RecoverOrphans puts back in their queues the active tasks whose worker
// process is gone (see above) and returns how many.
func RecoverOrphans(ctx context.Context, rdb goredis.UniversalClient, log *slog.Logger) (int, error) {
	// Read the living first: a task taken after this read has a fresh lease.
	live, err := liveTasks(ctx, rdb)
	if err != nil {
		return 0, err
	}
	stale := time.Now().Add(asynqLease - orphanStaleAfter).Unix()
	queues := make([]string, 0, len(QueueWeights))
	for q := range QueueWeights {
		queues = append(queues, q)
	}
	slices.Sort(queues)
	recovered := 0
	for _, q := range queues {
		prefix := "asynq:{" + q + "}:"
		ids, err := rdb.ZRangeByScore(ctx, prefix+"lease", &goredis.ZRangeBy{Min: "-inf", Max: fmt.Sprint(stale)}).Result()
		if err != nil {
			return recovered, fmt.Errorf("listing the leases of queue %s: %w", q, err)
		}
		for _, id := range ids {
			if live[id] {
				continue
			}
			res, err := requeueOrphanScript.Run(ctx, rdb,
				[]string{prefix + "active", prefix + "lease", prefix + "pending", prefix + "t:" + id, "waybill:orphaned:{" + q + "}:" + id},
				id, stale, orphanMaxFast, int(orphanCountTTL.Seconds())).Int()
			if err != nil {
				return recovered, fmt.Errorf("requeueing task %s: %w", id, err)
			}
			switch res {
			case 1:
				recovered++
				log.InfoContext(ctx, "task of a dead worker requeued", "queue", q, "task_id", id)
			case -1:
				log.WarnContext(ctx, "task of a dead worker left to Asynq's recoverer: it was requeued too often",
					"queue", q, "task_id", id, "times", orphanMaxFast)
			}
		}
	}
	return recovered, nil
}

// liveTasks are the ids of the tasks that running worker processes hold,
// from their heartbeats' workers hashes (expired hashes read as empty).
func liveTasks(ctx context.Context, rdb goredis.UniversalClient) (map[string]bool, error) {
	// Members of processes gone for an hour go, as Asynq's own listing
	// prunes them (it keeps those of killed processes until then).
	if err := rdb.ZRemRangeByScore(ctx, "asynq:workers", "-inf", fmt.Sprint(time.Now().Add(-time.Hour).Unix())).Err(); err != nil {
		return nil, fmt.Errorf("pruning the workers: %w", err)
	}
	keys, err := rdb.ZRange(ctx, "asynq:workers", 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("listing the workers: %w", err)
	}
	cmds := make([]*goredis.StringSliceCmd, len(keys))
	if _, err := rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HKeys(ctx, k)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading the workers: %w", err)
	}
	live := map[string]bool{}
	for _, c := range cmds {
		for _, id := range c.Val() {
			live[id] = true
		}
	}
	return live, nil
}

// recoverOrphansUntil runs RecoverOrphans at once and every orphanCheckEvery
// (with jitter, so workers started together spread out) until ctx ends.
func recoverOrphansUntil(ctx context.Context, rdb goredis.UniversalClient, log *slog.Logger) {
	for {
		if _, err := RecoverOrphans(ctx, rdb, log); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "cannot look for tasks of dead workers; trying again", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(orphanCheckEvery/2 + rand.N(orphanCheckEvery)):
		}
	}
}

// startOrphanRecovery runs recoverOrphansUntil on a connection of its own
// (conn's, so it follows a failover as the worker does) until stop.
func startOrphanRecovery(ctx context.Context, conn asynq.RedisConnOpt, log *slog.Logger) (stop func()) {
	rdb, ok := conn.MakeRedisClient().(goredis.UniversalClient)
	if !ok {
		log.WarnContext(ctx, "tasks of dead workers wait for Asynq's own recovery: unexpected Redis connection type")
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		recoverOrphansUntil(ctx, rdb, log)
	}()
	return func() {
		cancel()
		<-done
		if err := rdb.Close(); err != nil {
			log.Warn("closing the orphan recovery's Redis connection", "error", err)
		}
	}
}
