package shopify

import (
	"context"
	"sync"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
)

// A call's cost: Shopify lets a call through when its requested cost is
// available, then charges (and the mirror reserves) the actual cost.
type cost struct{ requested, actual float64 }

var (
	// The order read asks for up to 5 fulfillment orders × 50 lines, but a
	// typical order returns a dozen objects.
	costOrderQuery = cost{requested: 380, actual: 15}
	costMutation   = cost{requested: 10, actual: 10}
)

// maxPacingWait bounds one wait: past it the call is tried anyway and a
// throttle becomes a retry, never a stuck worker.
const maxPacingWait = 20 * time.Second

// buckets mirrors each shop's GraphQL cost bucket from the last response's
// throttleStatus, so calls wait until the points are there instead of
// hammering Shopify into THROTTLED answers. One mirror per process; other
// processes' calls show up in the next observation.
type buckets struct {
	mu    sync.Mutex
	shops map[string]bucketState
}

type bucketState struct {
	available, max, rate float64
	at                   time.Time
}

func (b *buckets) wait(ctx context.Context, shop string, c cost, now func() time.Time) error {
	b.mu.Lock()
	st, ok := b.shops[shop]
	if ok {
		elapsed := now().Sub(st.at).Seconds()
		avail := min(st.max, st.available+elapsed*st.rate)
		need := min(c.requested, st.max) - avail
		if need > 0 && st.rate > 0 {
			// Reserve the points now, so concurrent jobs of this process queue
			// behind each other instead of all waking at once.
			st.available, st.at = avail-c.actual, now()
			b.shops[shop] = st
			b.mu.Unlock()
			d := min(time.Duration(need/st.rate*float64(time.Second)), maxPacingWait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
			return nil
		}
		st.available, st.at = avail-c.actual, now()
		b.shops[shop] = st
	}
	b.mu.Unlock()
	return nil
}

func (b *buckets) observe(shop string, c *goshopify.GraphQLCost, now time.Time) {
	if c == nil || c.ThrottleStatus.MaximumAvailable == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shops == nil {
		b.shops = map[string]bucketState{}
	}
	b.shops[shop] = bucketState{available: c.ThrottleStatus.CurrentlyAvailable, max: c.ThrottleStatus.MaximumAvailable,
		rate: c.ThrottleStatus.RestoreRate, at: now}
}

// paced runs one GraphQL call after waiting for its points.
func (s *Service) paced(ctx context.Context, client *goshopify.Client, shop string, c cost, q string, vars, resp any) error {
	if err := s.buckets.wait(ctx, shop, c, s.clock.Now); err != nil {
		return err
	}
	err := query(ctx, client, q, vars, resp)
	s.buckets.observe(shop, client.RateLimits.GraphQLCost, s.clock.Now())
	return err
}
