package app

// Webhook topics Waybill subscribes to through the Admin API at install.
// The mandatory compliance topics (customers/data_request, customers/redact,
// shop/redact) cannot be subscribed that way: shopify.app.toml declares them.
const (
	TopicOrdersCreate         = "orders/create"
	TopicOrdersUpdated        = "orders/updated"
	TopicFulfillmentsCreate   = "fulfillments/create"
	TopicFulfillmentsUpdate   = "fulfillments/update"
	TopicAppUninstalled       = "app/uninstalled"
	TopicCustomersDataRequest = "customers/data_request"
	TopicCustomersRedact      = "customers/redact"
	TopicShopRedact           = "shop/redact"
)

// SubscribedTopics are created for every shop at install (and re-checked on
// reinstall), so a self-hosted install without Shopify CLI works.
var SubscribedTopics = []string{
	TopicOrdersCreate, TopicOrdersUpdated, TopicFulfillmentsCreate, TopicFulfillmentsUpdate, TopicAppUninstalled,
}
