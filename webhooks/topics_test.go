package webhooks_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
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
	if len(webhooks.SubscribedTopics()) != 5 {
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
