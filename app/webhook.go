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

// ComplianceTopics are Shopify's mandatory privacy webhooks. They are handled
// even for shops that have uninstalled Waybill (shop/redact always comes after).
var ComplianceTopics = map[string]bool{
	TopicCustomersDataRequest: true, TopicCustomersRedact: true, TopicShopRedact: true,
}

// HandledTopics are the topics Waybill processes; others are acknowledged
// and ignored.
var HandledTopics = map[string]bool{
	TopicOrdersCreate: true, TopicOrdersUpdated: true, TopicFulfillmentsCreate: true, TopicFulfillmentsUpdate: true,
	TopicAppUninstalled: true, TopicCustomersDataRequest: true, TopicCustomersRedact: true, TopicShopRedact: true,
}
