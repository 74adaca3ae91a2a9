package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

type pushEnv struct {
	*wiringtest.Harness
	t        *testing.T
	fake     *shopifyfake.Store
	db       *store.DB
	shop     *app.Shop
	shipping *shipping.Service
	detector *carrier.Detector
	inspect  *asynq.Inspector
	client   *jobs.Client
}

func newPushEnv(t *testing.T, engine store.Engine) *pushEnv {
	return newPushEnvWith(t, wiringtest.Options{Engine: engine})
}

// newPushEnvWith builds Waybill with the test's options (emails to a
// mailpit…) and runs its worker.
func newPushEnvWith(t *testing.T, opts wiringtest.Options) *pushEnv {
	opts.RedisDB, opts.Shops = 3, []string{shop}
	h := wiringtest.New(t, opts)
	h.StartWorker(wiringtest.TestWorker(6))
	return &pushEnv{Harness: h, t: t, fake: h.Fake, db: h.DB, shop: h.Shop(shop), shipping: h.Shipping,
		detector: h.Shipping.Carriers, inspect: h.Inspect, client: h.Queue}
}

// order creates an order in Shopify and, unless remoteOnly, in Waybill's copy
// (as the orders/create webhook would).
func (e *pushEnv) order(n shopifyfake.NewOrder, remoteOnly bool) shopifyfake.Order {
	o := e.fake.CreateOrder(shop, n)
	if !remoteOnly {
		lo := app.Order{ID: o.ID, ShopID: e.shop.ID, Name: o.Name, Email: o.Email, CustomerLocale: o.CustomerLocale,
			CustomerFirstName: o.CustomerFirstName, ShopifyUpdatedAt: o.UpdatedAt}
		for _, li := range o.LineItems {
			lo.LineItems = append(lo.LineItems, app.LineItem{ID: li.ID, SKU: li.SKU, Title: li.Title, Quantity: li.Quantity, FulfillableQuantity: li.Quantity})
		}
		if _, err := e.db.SaveOrder(context.Background(), lo); err != nil {
			e.t.Fatal(err)
		}
	}
	return o
}

func (e *pushEnv) submit(subs ...shipping.Submission) []shipping.Result {
	res, err := e.shipping.Submit(context.Background(), e.shop, app.SourceAPI, subs)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// settled waits until the shipment leaves pending/syncing and returns it.
func (e *pushEnv) settled(id string) *app.Shipment {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s, err := e.db.ShipmentByID(context.Background(), id)
		if err == nil && s.State != app.ShipmentPending && s.State != app.ShipmentSyncing {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	s, err := e.db.ShipmentByID(context.Background(), id)
	history, _ := e.db.ShipmentEvents(context.Background(), id)
	var lines []string
	for _, h := range history {
		lines = append(lines, fmt.Sprintf("%s %s %s", h.CreatedAt.Format("15:04:05.000"), h.Kind, h.Detail))
	}
	e.t.Fatalf("shipment %s did not settle: %+v (%v)\nhistory:\n%s", id, s, err, strings.Join(lines, "\n"))
	return nil
}

// pushTaskDone waits until the shipment's push task is gone: while it holds
// its id (finishing after the shipment already reads synced), queueing the
// push again is a no-op.
func (e *pushEnv) pushTaskDone(id string) {
	e.t.Helper()
	wiringtest.Eventually(e.t, "the push's task done", func() bool {
		_, err := e.inspect.GetTaskInfo(jobs.QueueDefault, jobs.TypeTrackingSync+":"+id)
		return err != nil
	})
}

func (e *pushEnv) fulfillments(orderID int64) []*shopifyfake.Fulfillment {
	o, _ := e.fake.Order(shop, orderID)
	return o.Fulfillments
}

func mug(qty int) []shopifyfake.NewLineItem {
	return []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: qty}}
}

func TestDuplicateAndConcurrentSubmissionsMakeOneFulfillment(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newPushEnv(t, engine)
		o := e.order(shopifyfake.NewOrder{LineItems: mug(2)}, false)
		sub := shipping.Submission{OrderName: "1001", TrackingNumber: "1Z5R89390357567127"}
		var wg sync.WaitGroup
		results := make(chan shipping.Result, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Not e.submit: its Fatal belongs to the test's goroutine.
				res, err := e.shipping.Submit(context.Background(), e.shop, app.SourceAPI, []shipping.Submission{sub})
				if err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				for _, r := range res {
					results <- r
				}
			}()
		}
		wg.Wait()
		close(results)
		if t.Failed() {
			t.FailNow()
		}
		accepted, duplicates, id := 0, 0, ""
		for r := range results {
			switch r.Status {
			case shipping.Accepted:
				accepted++
				id = r.ShipmentID
			case shipping.Duplicate:
				duplicates++
			default:
				t.Fatalf("row: %+v", r)
			}
		}
		if accepted != 1 || duplicates != 7 {
			t.Fatalf("%d accepted, %d duplicates; want 1 and 7", accepted, duplicates)
		}
		s := e.settled(id)
		if s.State != app.ShipmentSynced || s.Carrier != "UPS" || s.OrderID != o.ID {
			t.Fatalf("shipment = %+v", s)
		}
		if again := e.submit(sub); again[0].Status != shipping.Duplicate || again[0].ShipmentID != id {
			t.Fatalf("later repeat: %+v", again)
		}
		// A push that runs again (a retry after a timeout whose fulfillment
		// did get made) finds the fulfillment instead of making another. (The
		// first task may still be finishing when the shipment reads synced:
		// while it holds the task id, queueing again is a no-op.)
		e.pushTaskDone(id)
		if err := e.db.SetShipmentState(context.Background(), id, app.ShipmentPending, "", "", ""); err != nil {
			t.Fatal(err)
		}
		if err := e.client.QueueTrackingSync(context.Background(), shop, id); err != nil {
			t.Fatal(err)
		}
		if s := e.settled(id); s.State != app.ShipmentSynced {
			t.Fatalf("re-push: %+v", s)
		}
		events, err := e.db.ShipmentEvents(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if last := events[len(events)-1]; !strings.Contains(last.Detail, "Already a fulfillment") {
			t.Fatalf("re-push history: %+v", events)
		}
		fs := e.fulfillments(o.ID)
		if len(fs) != 1 || fs[0].TrackingInfo[0].Number != "1Z5R89390357567127" || fs[0].TrackingInfo[0].Company != "UPS" ||
			!strings.Contains(fs[0].TrackingInfo[0].URL, "1Z5R89390357567127") {
			t.Fatalf("fulfillments = %+v", fs)
		}
	})
}

func TestPartialThenRemaining(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	o := e.order(shopifyfake.NewOrder{LineItems: mug(3)}, false)
	first := e.submit(shipping.Submission{OrderName: "#1001", TrackingNumber: "RB123456785ES", Lines: []shipping.Line{{SKU: "MUG-01", Quantity: 2}}})
	if s := e.settled(first[0].ShipmentID); s.State != app.ShipmentSynced || s.Carrier != "Correos" || len(s.LineItems) != 1 || s.LineItems[0].Title != "Taza" {
		t.Fatalf("first = %+v", s)
	}
	got, _ := e.fake.Order(shop, o.ID)
	if rem := got.FulfillmentOrders[0].LineItems[0].RemainingQuantity; rem != 1 {
		t.Fatalf("remaining after 2 of 3: %d", rem)
	}
	rest := e.submit(shipping.Submission{OrderName: "#1001", TrackingNumber: "LX123456785CN"})
	s := e.settled(rest[0].ShipmentID)
	if s.State != app.ShipmentSynced || len(s.LineItems) != 1 || s.LineItems[0].Quantity != 1 {
		t.Fatalf("rest = %+v", s)
	}
	got, _ = e.fake.Order(shop, o.ID)
	if len(got.Fulfillments) != 2 || got.FulfillmentOrders[0].Status != "CLOSED" {
		t.Fatalf("after both: %d fulfillments, FO %s", len(got.Fulfillments), got.FulfillmentOrders[0].Status)
	}
	// Nothing left: a third number needs the merchant.
	third := e.submit(shipping.Submission{OrderName: "#1001", TrackingNumber: "UG123456789YW"})
	if s := e.settled(third[0].ShipmentID); s.State != app.ShipmentNeedsAttention || s.StateReason != "Nothing is left to fulfil on order #1001." {
		t.Fatalf("third = %+v", s)
	}
	if len(e.fulfillments(o.ID)) != 2 {
		t.Fatal("a fulfillment was made with nothing left")
	}
}

func TestTwoLocations(t *testing.T) {
	e := newPushEnv(t, store.Postgres)
	supplier := e.fake.AddLocation(shop, "Proveedor Shenzhen")
	o := e.order(shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{
		{SKU: "MUG-01", Title: "Taza", Quantity: 1}, {SKU: "LAMP-7", Title: "Lámpara", Quantity: 1, LocationID: supplier}}}, false)
	one := e.submit(shipping.Submission{OrderName: "#1001", TrackingNumber: "YT2300012345678901"})
	s := e.settled(one[0].ShipmentID)
	if s.State != app.ShipmentNeedsAttention || !strings.Contains(s.StateReason, "2 locations (Main warehouse, Proveedor Shenzhen)") {
		t.Fatalf("one number for two locations: %+v", s)
	}
	a := e.submit(shipping.Submission{OrderName: "#1001", TrackingNumber: "RB123456785ES", Lines: []shipping.Line{{SKU: "MUG-01", Quantity: 1}}})
	b := e.submit(shipping.Submission{OrderName: "#1001", TrackingNumber: "YT2300012345678902", Lines: []shipping.Line{{SKU: "LAMP-7", Quantity: 1}}})
	if e.settled(a[0].ShipmentID).State != app.ShipmentSynced || e.settled(b[0].ShipmentID).State != app.ShipmentSynced {
		t.Fatal("per-location shipments did not sync")
	}
	fs := e.fulfillments(o.ID)
	if len(fs) != 2 || fs[0].LocationID == fs[1].LocationID {
		t.Fatalf("fulfillments = %+v", fs)
	}
	for _, f := range fs {
		if f.TrackingInfo[0].Number == "YT2300012345678902" && (f.LocationID != supplier || f.TrackingInfo[0].Company != "YunExpress") {
			t.Fatalf("the YunExpress parcel: %+v", f)
		}
	}
}

func TestThrottleStormAndOutagesEndSynced(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	var ids []string
	var orders []int64
	for i := range 5 {
		o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
		orders = append(orders, o.ID)
		r := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: fmt.Sprintf("YT23000123456789%02d", i)})
		ids = append(ids, r[0].ShipmentID)
	}
	e.fake.InjectFaults(shopifyfake.Faults{Throttles: 25, HTTPThrottles: 5, RetryAfter: 1})
	for i, id := range ids {
		if s := e.settled(id); s.State != app.ShipmentSynced {
			t.Fatalf("after a throttle storm: %+v", s)
		}
		if n := len(e.fulfillments(orders[i])); n != 1 {
			t.Fatalf("order %d has %d fulfillments", orders[i], n)
		}
	}
	// 5xx, then success: retried with backoff, never lost.
	o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
	e.fake.InjectFaults(shopifyfake.Faults{ServerErrors: 4})
	r := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN"})
	if s := e.settled(r[0].ShipmentID); s.State != app.ShipmentSynced || len(e.fulfillments(o.ID)) != 1 {
		t.Fatalf("after 5xx: %+v", s)
	}
}

func TestUserErrorsAreFinalAndRecorded(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
	e.fake.InjectFaults(shopifyfake.Faults{FulfillmentUserErrors: 1, UserErrorMessage: "Fulfillment order 42 has an unfulfillable status= on_hold."})
	r := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN"})
	s := e.settled(r[0].ShipmentID)
	if s.State != app.ShipmentFailed || !strings.Contains(s.StateReason, "unfulfillable status= on_hold") {
		t.Fatalf("shipment = %+v", s)
	}
	tasks, err := e.inspect.ListArchivedTasks(jobs.QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].Retried != 0 {
		t.Fatalf("a userError must not be retried: %+v", tasks)
	}
	if len(e.fulfillments(o.ID)) != 0 {
		t.Fatal("a fulfillment exists after a refusal")
	}
}

func TestUnknownOrdersAndAmbiguousCarriersNeedTheMerchant(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	r := e.submit(shipping.Submission{OrderName: "#9999", TrackingNumber: "LX123456785CN"})
	if r[0].Status != shipping.Accepted {
		t.Fatalf("unknown order row: %+v", r[0])
	}
	if s := e.settled(r[0].ShipmentID); s.State != app.ShipmentNeedsAttention || s.StateReason != "Shopify has no order #9999 in this store." {
		t.Fatalf("unknown order: %+v", s)
	}

	// An order Shopify has but Waybill has not seen yet is fetched.
	o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, true)
	r = e.submit(shipping.Submission{OrderName: o.Name, TrackingNumber: "RB123456785MX"})
	if s := e.settled(r[0].ShipmentID); s.State != app.ShipmentSynced || s.OrderID != o.ID || s.Carrier != "Correos de México" {
		t.Fatalf("order known only to Shopify: %+v", s)
	}

	var ambiguous string
	for i := 0; i < 100000 && ambiguous == ""; i++ {
		if n := fmt.Sprintf("%015d", i); e.detector.Detect(n).Ambiguous() {
			ambiguous = n
		}
	}
	o2 := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
	r = e.submit(shipping.Submission{OrderID: o2.ID, TrackingNumber: ambiguous})
	s, err := e.db.ShipmentByID(context.Background(), r[0].ShipmentID)
	if err != nil {
		t.Fatal(err)
	}
	if r[0].Status != shipping.Accepted || r[0].Warning == "" || s.State != app.ShipmentNeedsAttention || !strings.Contains(s.StateReason, "fits several carriers") {
		t.Fatalf("ambiguous %s: %+v %+v", ambiguous, r[0], s)
	}
	time.Sleep(200 * time.Millisecond)
	if len(e.fulfillments(o2.ID)) != 0 {
		t.Fatal("an ambiguous number was pushed")
	}
	// With the carrier named, the merchant's or supplier's word decides.
	r = e.submit(shipping.Submission{OrderID: o2.ID, TrackingNumber: "X" + ambiguous, Carrier: "fedex"})
	if s := e.settled(r[0].ShipmentID); s.State != app.ShipmentSynced || s.Carrier != "FedEx" {
		t.Fatalf("named carrier: %+v", s)
	}
}

func TestChangedNumberUpdatesTheSameFulfillment(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
	r := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN"})
	first := e.settled(r[0].ShipmentID)
	if _, err := e.db.EditShipmentTracking(context.Background(), first.ID, "RB123456785ES", "Correos", "https://correos.example/RB123456785ES"); err != nil {
		t.Fatal(err)
	}
	if err := e.client.QueueTrackingSync(context.Background(), shop, first.ID); err != nil {
		t.Fatal(err)
	}
	s := e.settled(first.ID)
	fs := e.fulfillments(o.ID)
	if s.State != app.ShipmentSynced || len(fs) != 1 || fs[0].TrackingInfo[0].Number != "RB123456785ES" || fs[0].TrackingInfo[0].Company != "Correos" {
		t.Fatalf("after edit: %+v, %+v", s, fs)
	}
}

func TestPushesPerShopAreBounded(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	e.fake.InjectFaults(shopifyfake.Faults{Latency: 150 * time.Millisecond})
	var ids []string
	for i := range 12 {
		o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
		ids = append(ids, e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: fmt.Sprintf("YT23000123456789%02d", i)})[0].ShipmentID)
	}
	maxSyncing := 0
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var syncing, done int64
		if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM shipments WHERE state = 'syncing'").Scan(&syncing).Error; err != nil {
			t.Fatal(err)
		}
		if err := e.db.Gorm().Raw("SELECT COUNT(*) FROM shipments WHERE state = 'synced'").Scan(&done).Error; err != nil {
			t.Fatal(err)
		}
		maxSyncing = max(maxSyncing, int(syncing))
		if done == 12 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, id := range ids {
		if s := e.settled(id); s.State != app.ShipmentSynced {
			t.Fatalf("%+v", s)
		}
	}
	if maxSyncing > shipping.DefaultPushesPerShop || maxSyncing < 2 {
		t.Fatalf("at most %d pushes ran at once; want between 2 and %d", maxSyncing, shipping.DefaultPushesPerShop)
	}
}

func TestStalledShipmentsAreRequeued(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
	// A shipment stored while Redis was down: pending, no task, a while ago.
	outcomes, err := e.db.CreateShipments(context.Background(), []*app.Shipment{{ShopID: e.shop.ID, OrderRef: o.Name, OrderID: o.ID,
		OrderName: o.Name, TrackingNumber: "LX123456785CN", Carrier: "China Post", Source: app.SourceAPI, State: app.ShipmentPending, NotifyCustomer: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	id := outcomes[0].ShipmentID
	if err := e.db.Gorm().Exec("UPDATE shipments SET updated_at = ? WHERE id = ?", time.Now().Add(-5*time.Minute).UTC(), id).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := asynq.NewClientFromRedisClient(e.RDB).Enqueue(jobs.NewTrackingResyncTask()); err != nil {
		t.Fatal(err)
	}
	if s := e.settled(id); s.State != app.ShipmentSynced || len(e.fulfillments(o.ID)) != 1 {
		t.Fatalf("stalled shipment after the sweep: %+v", s)
	}
}

// A store that fulfils automatically (or an app that marks orders fulfilled
// first) leaves a fulfillment without tracking: the supplier's number goes
// onto that fulfillment, and the order keeps exactly one. When two such
// fulfillments could be the parcel and the number names no items, the
// merchant chooses.
func TestNumberForAnOrderFulfilledWithoutOne(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	o := e.order(shopifyfake.NewOrder{LineItems: mug(2)}, false)
	if _, err := e.fake.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{}); err != nil {
		t.Fatal(err)
	}
	r := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN"})
	s := e.settled(r[0].ShipmentID)
	fs := e.fulfillments(o.ID)
	if s.State != app.ShipmentSynced || len(fs) != 1 || s.ShopifyFulfillmentID != fs[0].ID {
		t.Fatalf("shipment %+v, fulfillments %+v: want the existing fulfillment, tracked", s, fs)
	}
	if len(fs[0].TrackingInfo) != 1 || fs[0].TrackingInfo[0].Number != "LX123456785CN" {
		t.Fatalf("the fulfillment's tracking: %+v", fs[0].TrackingInfo)
	}
	if len(s.LineItems) != 1 || s.LineItems[0].Quantity != 2 || s.LineItems[0].SKU != "MUG-01" {
		t.Fatalf("the shipment's items (from the fulfillment): %+v", s.LineItems)
	}

	o2 := e.order(shopifyfake.NewOrder{LineItems: mug(2)}, false)
	for range 2 {
		if _, err := e.fake.CreateFulfillment(shop, o2.ID, shopifyfake.NewFulfillment{Lines: []shopifyfake.FulfillLine{{LineItemID: o2.LineItems[0].ID, Quantity: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	r = e.submit(shipping.Submission{OrderID: o2.ID, TrackingNumber: "RB123456785ES"})
	if s := e.settled(r[0].ShipmentID); s.State != app.ShipmentNeedsAttention {
		t.Fatalf("two untracked fulfillments and no items named: %+v", s)
	}
	for _, f := range e.fulfillments(o2.ID) {
		if len(f.TrackingInfo) != 0 {
			t.Fatalf("a number was guessed onto %+v", f)
		}
	}
}
