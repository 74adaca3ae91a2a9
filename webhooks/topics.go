package webhooks

import (
	"context"

	"github.com/waybill-app/waybill/app"
)

// Topic is one webhook topic Waybill handles: the Asynq task that processes
// it, its handler, and the shops it runs for. Adding a topic is one row of
// topics (and its handler).
type Topic struct {
	Name     string // X-Shopify-Topic
	TaskType string // the task a delivery becomes (one task type per topic)
	Handle   func(p *Processor, ctx context.Context, shop *app.Shop, d app.WebhookDelivery) error
	For      ShopStates
	// Subscribe: subscribed through the Admin API at install. Shopify's
	// mandatory compliance topics cannot be; shopify.app.toml declares them.
	Subscribe bool
}

// ShopStates says for which of the shops that installed Waybill a topic is
// processed. Deliveries for shops that never installed it are ignored.
type ShopStates int

const (
	// InstalledShops: not uninstalled (a shop awaiting re-authorisation still
	// keeps its copy of orders and fulfillments current).
	InstalledShops ShopStates = iota
	// UninstalledShopsToo: the uninstall itself, and privacy requests, which
	// Shopify sends after an uninstall and which must still be done.
	UninstalledShopsToo
)

// topics is the one table of webhook topics.
var topics = []Topic{
	{Name: "orders/create", TaskType: "orders:create", Handle: (*Processor).saveOrder, For: InstalledShops, Subscribe: true},
	{Name: "orders/updated", TaskType: "orders:updated", Handle: (*Processor).saveOrder, For: InstalledShops, Subscribe: true},
	{Name: "fulfillments/create", TaskType: "fulfillments:create", Handle: (*Processor).recordFulfillment, For: InstalledShops, Subscribe: true},
	{Name: "fulfillments/update", TaskType: "fulfillments:update", Handle: (*Processor).recordFulfillment, For: InstalledShops, Subscribe: true},
	// Shopify's own carrier tracking (and apps' fulfillmentEventCreate): needs read_fulfillments.
	{Name: "fulfillment_events/create", TaskType: "fulfillment_events:create", Handle: (*Processor).recordFulfillmentEvent, For: InstalledShops, Subscribe: true},
	{Name: "app/uninstalled", TaskType: "app:uninstalled", Handle: (*Processor).uninstall, For: UninstalledShopsToo, Subscribe: true},
	{Name: "customers/data_request", TaskType: "customers:data_request", Handle: (*Processor).compileCustomerData, For: UninstalledShopsToo},
	{Name: "customers/redact", TaskType: "customers:redact", Handle: (*Processor).redactCustomer, For: UninstalledShopsToo},
	{Name: "shop/redact", TaskType: "shop:redact", Handle: (*Processor).deleteShopData, For: UninstalledShopsToo},
}

// Topics returns the table.
func Topics() []Topic { return append([]Topic(nil), topics...) }

// TopicNamed returns the row of a topic; ok is false for a topic Waybill
// does not handle.
func TopicNamed(name string) (Topic, bool) {
	for _, t := range topics {
		if t.Name == name {
			return t, true
		}
	}
	return Topic{}, false
}

// SubscribedTopics are the topics subscribed for every shop at install (and
// re-checked on reinstall), so a self-hosted install without Shopify CLI works.
func SubscribedTopics() []string {
	var out []string
	for _, t := range topics {
		if t.Subscribe {
			out = append(out, t.Name)
		}
	}
	return out
}

// RunsFor is the one rule for which shops a topic is processed for.
func (t Topic) RunsFor(shop *app.Shop) bool {
	return shop.UninstalledAt == nil || t.For == UninstalledShopsToo
}
