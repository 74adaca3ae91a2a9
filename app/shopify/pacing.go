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

// The order read's cost depends on its page sizes (orderReadSize.cost).
var (
	costMutation = cost{requested: 10, actual: 10}
	// An order's fulfillments with their lines (10 × (1 + 2 + 2 + 25)).
	costFulfillmentsQuery = cost{requested: 305, actual: 12}
	// 100 subscriptions a page; a shop has a handful.
	costSubscriptionList = cost{requested: 102, actual: 8}
	// The shop and its address.
	costShopProfile = cost{requested: 2, actual: 2}
	// A fulfillment and up to 50 events (1 + 2 + 50); a parcel has a dozen.
	costFulfillmentTracking = cost{requested: 53, actual: 12}
)

// maxPacingWait bounds one wait: past it the call is tried anyway and a
// throttle becomes a retry, never a stuck worker.
const maxPacingWait = 20 * time.Second

// buckets mirrors each shop's GraphQL cost bucket from the last response's
// throttleStatus, so calls wait until their points are there instead of
// hammering Shopify into THROTTLED answers. Shopify admits a call when its
// requested cost is available and charges the actual cost afterwards, so a
// call in flight holds its requested cost until it returns. One mirror per
// process; other processes' calls show in the next observation.
type buckets struct {
	mu    sync.Mutex
	shops map[string]*bucketState
}

type bucketState struct {
	available, max, rate float64
	at                   time.Time
	inflight             float64 // requested cost of calls not yet answered
}

// acquire waits until c.requested fits beside the calls in flight, and
// returns the release to call when the answer is in.
func (b *buckets) acquire(ctx context.Context, shop string, c cost, now func() time.Time) (func(), error) {
	deadline := time.Now().Add(maxPacingWait)
	for {
		b.mu.Lock()
		if b.shops == nil {
			b.shops = map[string]*bucketState{}
		}
		st, ok := b.shops[shop]
		if !ok {
			st = &bucketState{}
			b.shops[shop] = st
		}
		avail := st.available
		if st.rate > 0 {
			avail = min(st.max, st.available+now().Sub(st.at).Seconds()*st.rate)
		}
		need := min(c.requested, st.max) - (avail - st.inflight)
		if st.rate == 0 || need <= 0 || time.Now().After(deadline) {
			// Unknown bucket (first call), room enough, or waited long
			// enough: go (a throttle then becomes a retry).
			st.inflight += c.requested
			b.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					b.mu.Lock()
					st.inflight -= c.requested
					b.mu.Unlock()
				})
			}, nil
		}
		// Re-check soon: a call in flight may return and release its hold
		// before the bucket refills.
		wait := min(time.Duration(need/st.rate*float64(time.Second)), 50*time.Millisecond)
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(max(wait, 5*time.Millisecond)):
		}
	}
}

func (b *buckets) observe(shop string, c *goshopify.GraphQLCost, now time.Time) {
	if c == nil || c.ThrottleStatus.MaximumAvailable == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.shops[shop]
	st.available, st.max, st.rate, st.at = c.ThrottleStatus.CurrentlyAvailable, c.ThrottleStatus.MaximumAvailable, c.ThrottleStatus.RestoreRate, now
}

// paced runs one GraphQL call after waiting for its points.
func (s *Service) paced(ctx context.Context, client *goshopify.Client, shop string, c cost, q string, vars, resp any) error {
	release, err := s.buckets.acquire(ctx, shop, c, s.clock.Now)
	if err != nil {
		return err
	}
	err = query(ctx, client, q, vars, resp)
	s.buckets.observe(shop, client.RateLimits.GraphQLCost, s.clock.Now())
	release()
	return err
}
