package webhooks_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopify"
	"github.com/waybill-app/waybill/app/shopifyfake/adminschema"
	"github.com/waybill-app/waybill/config"
	"github.com/waybill-app/waybill/webhooks"
)

// The table is the one place topics are declared. Each topic is subscribed
// once: the shop's topics at install (so shopify.app.toml must not declare
// them too, or each change would arrive twice), the compliance topics in
// shopify.app.toml (the only place they can be). Each topic has its own task
// type, and only the uninstall and privacy topics run for an uninstalled shop.
func TestTopicsTableMatchesTheAppConfigurationAndItsRules(t *testing.T) {
	toml, err := os.ReadFile("../shopify.app.toml")
	if err != nil {
		t.Fatal(err)
	}
	declared := func(key string) []string {
		m := regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*\[([^\]]*)\]`).FindSubmatch(toml)
		if m == nil {
			return nil
		}
		var out []string
		for _, q := range regexp.MustCompile(`"([^"]+)"`).FindAllSubmatch(m[1], -1) {
			out = append(out, string(q[1]))
		}
		slices.Sort(out)
		return out
	}
	if len(webhooks.SubscribedTopics()) != 6 {
		t.Errorf("subscribed at install: %v", webhooks.SubscribedTopics())
	}
	if twice := declared("topics"); len(twice) > 0 {
		t.Errorf("shopify.app.toml declares %v, which Waybill also subscribes at install: each would arrive twice", twice)
	}
	var compliance []string
	types := map[string]string{}
	uninstalled := &app.Shop{UninstalledAt: new(time.Now())}
	installed := &app.Shop{}
	for _, topic := range webhooks.Topics() {
		if !topic.Subscribe {
			compliance = append(compliance, topic.Name)
		}
		if other, dup := types[topic.TaskType]; dup {
			t.Errorf("%s and %s share the task type %s", topic.Name, other, topic.TaskType)
		}
		types[topic.TaskType] = topic.Name
		if topic.Handle == nil {
			t.Errorf("%s has no handler", topic.Name)
		}
		if !topic.RunsFor(installed) {
			t.Errorf("%s does not run for an installed shop", topic.Name)
		}
		forUninstalled := topic.Name == "app/uninstalled" || !topic.Subscribe
		if topic.RunsFor(uninstalled) != forUninstalled {
			t.Errorf("%s runs for an uninstalled shop: %v, want %v", topic.Name, !forUninstalled, forUninstalled)
		}
		if !strings.Contains(topic.Name, "/") {
			t.Errorf("%q is not a Shopify topic name", topic.Name)
		}
	}
	slices.Sort(compliance)
	if want := declared("compliance_topics"); !slices.Equal(compliance, want) {
		t.Errorf("compliance topics %v, shopify.app.toml declares %v", compliance, want)
	}
	if _, ok := webhooks.TopicNamed("products/update"); ok {
		t.Error("a topic outside the table is handled")
	}
}

// Every topic subscribed at install is one Shopify has in the Admin API
// version Waybill calls, and the default SCOPES grant what subscribing to
// it requires (as Shopify's schema describes each WebhookSubscriptionTopic
// value: fulfillment_events/create needs read_fulfillments, which
// write_fulfillments grants).
func TestSubscribedTopicsAreShopifysAndTheScopesAllowThem(t *testing.T) {
	schema, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	granted := adminschema.ParseScopes(config.DefaultScopes)
	for _, topic := range webhooks.SubscribedTopics() {
		anyOf, ok := schema.WebhookTopic(shopify.TopicEnum(topic))
		if !ok {
			t.Errorf("%s is not a WebhookSubscriptionTopic of the %s Admin API", topic, adminschema.Version)
			continue
		}
		if len(anyOf) > 0 && !slices.ContainsFunc(anyOf, granted.Has) {
			t.Errorf("%s needs one of %v; SCOPES grants %s", topic, anyOf, granted)
		}
	}
	if anyOf, _ := schema.WebhookTopic("FULFILLMENT_EVENTS_CREATE"); !slices.Equal(anyOf, []string{"read_fulfillments"}) {
		t.Errorf("fulfillment_events/create needs %v", anyOf)
	}
}
