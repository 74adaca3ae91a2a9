// Package redis is Waybill's Redis adapter for short-lived shared state:
// single-use OAuth states and cross-process locks. It also reads REDIS_URL
// (one server, Sentinel or Cluster: url.go) for every Redis user, Asynq's
// included, and waits for replicas where an acknowledgement must survive a
// failover (replicas.go).
package redis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
)

// Client wraps a go-redis client.
type Client struct {
	rdb goredis.UniversalClient
	// log receives what fails after the caller has moved on: the release of
	// a lock or a slot, which then frees itself when its TTL runs out.
	log *slog.Logger
}

// Open parses REDIS_URL (see ParseURL) and connects.
func Open(redisURL string, log *slog.Logger) (*Client, goredis.UniversalClient, error) {
	opts, err := ParseURL(redisURL)
	if err != nil {
		return nil, nil, app.WrapError(app.ErrInvalid, err, "REDIS_URL is not valid")
	}
	rdb := opts.NewClient()
	return New(rdb, log), rdb, nil
}

// New wraps an existing client (one server's, a failover or a cluster client).
func New(rdb goredis.UniversalClient, log *slog.Logger) *Client { return &Client{rdb: rdb, log: log} }

// Ping checks Redis answers (readiness).
func (c *Client) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return app.WrapError(app.ErrUnavailable, err, "redis does not answer")
	}
	return nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

const statePrefix = "waybill:oauth-state:"

// Issue implements app.OAuthStates.
func (c *Client) Issue(ctx context.Context, shop string, ttl time.Duration) (string, error) {
	state := randomToken(24)
	if err := c.rdb.Set(ctx, statePrefix+state, shop, ttl).Err(); err != nil {
		return "", app.WrapError(app.ErrUnavailable, err, "cannot start the install right now; please try again")
	}
	return state, nil
}

// Consume implements app.OAuthStates: GETDEL makes a state single-use even
// when two callbacks race.
func (c *Client) Consume(ctx context.Context, state string) (string, error) {
	if state == "" || len(state) > 128 {
		return "", app.Errorf(app.ErrForbidden, "the install link is not valid: start the install again")
	}
	shop, err := c.rdb.GetDel(ctx, statePrefix+state).Result()
	if errors.Is(err, goredis.Nil) {
		return "", app.Errorf(app.ErrForbidden, "the install link has expired or was already used: start the install again")
	}
	if err != nil {
		return "", app.WrapError(app.ErrUnavailable, err, "cannot finish the install right now; please try again")
	}
	return shop, nil
}

const lockPrefix = "waybill:lock:"

// unlockScript deletes the lock only if this holder still owns it, so a
// holder whose lock expired cannot release someone else's.
var unlockScript = goredis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`)

// Lock implements app.Locker with SET NX PX and a polling wait.
func (c *Client) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	owner := randomToken(16)
	wait := 20 * time.Millisecond
	for {
		ok, err := c.rdb.SetNX(ctx, lockPrefix+key, owner, ttl).Result()
		if err != nil {
			return nil, app.WrapError(app.ErrUnavailable, err, "cannot take lock %s", key)
		}
		if ok {
			return func() {
				// Released with a fresh context: the caller's may be done.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if err := unlockScript.Run(ctx, c.rdb, []string{lockPrefix + key}, owner).Err(); err != nil {
					c.log.WarnContext(ctx, "redis: cannot release a lock; it frees itself when its TTL runs out",
						"key", key, "ttl", ttl, "error", err)
				}
			}, nil
		}
		select {
		case <-ctx.Done():
			return nil, app.WrapError(app.ErrUnavailable, ctx.Err(), "timed out waiting for lock %s", key)
		case <-time.After(wait):
		}
		wait = min(wait*2, 250*time.Millisecond)
	}
}

var (
	_ app.OAuthStates = (*Client)(nil)
	_ app.Locker      = (*Client)(nil)
)
