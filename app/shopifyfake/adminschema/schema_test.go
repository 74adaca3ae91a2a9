package adminschema_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/waybill-app/waybill/app/shopifyfake/adminschema"
)

func load(t *testing.T) *adminschema.Schema {
	t.Helper()
	s, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTheSchemaLoadsWithItsKinds(t *testing.T) {
	s := load(t)
	if s.AST.Query == nil || s.AST.Query.Name != "QueryRoot" || s.AST.Mutation == nil || s.AST.Mutation.Name != "Mutation" {
		t.Fatalf("roots: %v %v", s.AST.Query, s.AST.Mutation)
	}
	if n := len(s.AST.Types); n < 3000 {
		t.Fatalf("%d types", n)
	}
	checks := map[string]ast.DefinitionKind{
		"Order": ast.Object, "Node": ast.Interface, "FulfillmentInput": ast.InputObject,
		"FulfillmentStatus": ast.Enum, "DateTime": ast.Scalar, "MetafieldReference": ast.Union,
	}
	for name, kind := range checks {
		if d := s.AST.Types[name]; d == nil || d.Kind != kind {
			t.Errorf("%s: %v, want %s", name, d, kind)
		}
	}
	if s.AST.Types["CustomerIdentifierInput"].Directives.ForName("oneOf") == nil {
		t.Error("CustomerIdentifierInput lost its @oneOf")
	}
	if d := s.AST.Types["FulfillmentInput"].Fields.ForName("notifyCustomer"); d == nil || d.DefaultValue == nil || d.DefaultValue.Raw != "false" {
		t.Errorf("FulfillmentInput.notifyCustomer default: %+v", d)
	}
	if s.AST.Directives["idempotent"] == nil {
		t.Error("Shopify's @idempotent directive is missing")
	}
}

func TestRequirementForms(t *testing.T) {
	cases := []struct {
		text     string
		query    [][]string
		mutation [][]string
	}{
		{"`read_orders` access scope.", [][]string{{"read_orders"}}, nil},
		{"`read_locations` access scope, `read_inventory` access scope or `read_markets_home` access scope.",
			[][]string{{"read_locations", "read_inventory", "read_markets_home"}}, nil},
		{"`write_assigned_fulfillment_orders` access scope, `write_merchant_managed_fulfillment_orders` access scope or `write_third_party_fulfillment_orders` access scope. Also: The user must have fulfill_and_ship_orders permission.",
			[][]string{{"write_assigned_fulfillment_orders", "write_merchant_managed_fulfillment_orders", "write_third_party_fulfillment_orders"}}, nil},
		{"Apps must have `write_discounts` access scope.", [][]string{{"write_discounts"}}, nil},
		{"`read_markets` for queries and both `read_markets` as well as `write_markets` for mutations.",
			[][]string{{"read_markets"}}, [][]string{{"read_markets"}, {"write_markets"}}},
		{"`read_returns` access scope and (`read_orders` access scope or `read_marketplace_orders` access scope).",
			[][]string{{"read_returns"}, {"read_orders", "read_marketplace_orders"}}, nil},
		{"`write_products` access scope as well as any of `write_own_subscription_contracts`, `write_purchase_options` access scopes. ",
			[][]string{{"write_products"}, {"write_own_subscription_contracts", "write_purchase_options"}}, nil},
		{"Any of `orders` or `shipping` access scopes or `manage_delivery_settings` user permission.",
			[][]string{{"read_orders", "read_shipping"}}, nil},
		{"Requires `read_a` or `write_b` access scope.", [][]string{{"read_a", "write_b"}}, nil},
		{"`read_customers` access scope. Also: Requires `write_x` scope.", [][]string{{"read_customers"}}, nil},
	}
	for _, c := range cases {
		r := adminschema.ParseRequirement(c.text)
		want := c.mutation
		if want == nil {
			want = c.query
		}
		if !reflect.DeepEqual(r.Query, c.query) || !reflect.DeepEqual(r.Mutation, want) || r.Unparsed {
			t.Errorf("%q:\n got %v / %v (unparsed %v)\nwant %v / %v", c.text, r.Query, r.Mutation, r.Unparsed, c.query, want)
		}
	}
	if r := adminschema.ParseRequirement("access to checkout branding settings and the shop must be on a Plus plan."); !r.Unparsed {
		t.Errorf("a sentence without scopes: %+v", r)
	}
}

// Every requiredAccess sentence of the file is read into scopes that look
// like scopes, and the sentences read as unparsed name no access scope.
func TestEveryRequiredAccessSentenceReads(t *testing.T) {
	s := load(t)
	sentences := map[string]bool{}
	for name, def := range s.AST.Types {
		if a := s.Type(name); a.RequiredAccess != "" {
			sentences[a.RequiredAccess] = true
		}
		for _, f := range def.Fields {
			if a := s.Field(name, f.Name); a.RequiredAccess != "" {
				sentences[a.RequiredAccess] = true
			}
		}
	}
	unparsed := 0
	for text := range sentences {
		r := adminschema.ParseRequirement(text)
		if r.Unparsed {
			unparsed++
			main, _, _ := strings.Cut(text, "Also:")
			if strings.Contains(main, "access scope") && strings.Contains(main, "`") {
				t.Errorf("names an access scope but was not read: %q", text)
			}
			continue
		}
		for _, c := range append(r.Query, r.Mutation...) {
			for _, scope := range c {
				if !strings.HasPrefix(scope, "read_") && !strings.HasPrefix(scope, "write_") {
					t.Errorf("%q: scope %q", text, scope)
				}
			}
		}
	}
	t.Logf("%d distinct sentences, %d name no access scope", len(sentences), unparsed)
	if len(sentences) < 250 {
		t.Fatalf("only %d sentences", len(sentences))
	}
}

func TestWriteImpliesRead(t *testing.T) {
	g := adminschema.ParseScopes("write_orders, read_customers")
	if !g.Has("read_orders") || !g.Has("write_orders") || !g.Has("read_customers") || g.Has("write_customers") || g.Has("read_locations") {
		t.Fatalf("%v", g)
	}
}

func TestDenialsFollowFragmentsAndNesting(t *testing.T) {
	s := load(t)
	q := `query Q($id: ID!) {
  order(id: $id) {
    id email
    ...Cust
    fulfillmentOrders(first: 2) { nodes { assignedLocation { location { id name } } } }
  }
  node(id: $id) { ... on Location { id } }
}
fragment Cust on Order { customer { firstName } }`
	doc, errs := s.Validate(q)
	if errs != nil {
		t.Fatal(errs)
	}
	op := adminschema.Operation(doc, "")
	got := map[string]bool{}
	for _, d := range s.Denials(doc, op, adminschema.ParseScopes("write_orders,read_merchant_managed_fulfillment_orders")) {
		got[strings.Join(d.Path, ".")+" "+d.Coordinate] = true
	}
	want := map[string]bool{
		"order.customer Order.customer": true, // Customer needs read_customers
		"order.fulfillmentOrders.nodes.assignedLocation.location FulfillmentOrderAssignedLocation.location": true,
		"order.fulfillmentOrders.nodes.assignedLocation.location.id Location.id":                            true,
		"order.fulfillmentOrders.nodes.assignedLocation.location.name Location.name":                        true,
		"node ... on Location": true,
		"node.id Location.id":  true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("denials:\n got %v\nwant %v", got, want)
	}
	if d := s.Denials(doc, op, adminschema.ParseScopes("read_orders,read_customers,read_locations,read_assigned_fulfillment_orders")); len(d) != 0 {
		t.Fatalf("all granted, still denied: %+v", d)
	}
	prot := s.ProtectedFields(doc, op)
	if len(prot) != 2 || prot[0].Coordinate != "Customer.firstName" || prot[0].Content != "name" || prot[1].Coordinate != "Order.email" || prot[1].Content != "email" {
		t.Fatalf("protected: %+v", prot)
	}
}

func TestMutationRootFieldNeedsItsWriteScope(t *testing.T) {
	s := load(t)
	doc, errs := s.Validate(`mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { message } } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	op := adminschema.Operation(doc, "")
	d := s.Denials(doc, op, adminschema.ParseScopes("read_merchant_managed_fulfillment_orders,read_orders"))
	if len(d) != 1 || d[0].Coordinate != "Mutation.fulfillmentCreate" || d[0].OnType {
		t.Fatalf("%+v", d)
	}
	if d := s.Denials(doc, op, adminschema.ParseScopes("write_merchant_managed_fulfillment_orders")); len(d) != 0 {
		t.Fatalf("%+v", d)
	}
}

func TestVariablesAreCheckedStrictly(t *testing.T) {
	s := load(t)
	_, errs := s.Validate(`mutation($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) { userErrors { message } } }
query($i: CustomerIdentifierInput!) { customerByIdentifier(identifier: $i) { id } }`)
	if errs == nil {
		t.Fatal("two anonymous operations validated")
	}
	doc, errs := s.Validate(`mutation Ev($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) { userErrors { message } } }
query C($i: CustomerIdentifierInput!) { customerByIdentifier(identifier: $i) { id } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	ev := adminschema.Operation(doc, "Ev")
	ok := map[string]any{"e": map[string]any{"fulfillmentId": "gid://shopify/Fulfillment/1", "status": "IN_TRANSIT"}}
	if _, err := s.VariableValues(ev, ok); err != nil {
		t.Fatal(err)
	}
	for name, vars := range map[string]map[string]any{
		"lower-case enum": {"e": map[string]any{"fulfillmentId": "gid://shopify/Fulfillment/1", "status": "in_transit"}},
		"unknown field":   {"e": map[string]any{"fulfillmentId": "gid://shopify/Fulfillment/1", "status": "IN_TRANSIT", "colour": "red"}},
		"missing field":   {"e": map[string]any{"status": "IN_TRANSIT"}},
		"missing var":     {},
	} {
		if _, err := s.VariableValues(ev, vars); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	c := adminschema.Operation(doc, "C")
	if _, err := s.VariableValues(c, map[string]any{"i": map[string]any{"id": "gid://shopify/Customer/1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VariableValues(c, map[string]any{"i": map[string]any{"id": "gid://shopify/Customer/1", "emailAddress": "a@b.c"}}); err == nil {
		t.Error("a @oneOf input with two keys accepted")
	}
}

// What subscribing to a webhook topic requires, read from Shopify's own
// description of each WebhookSubscriptionTopic value.
func TestWebhookTopicScopes(t *testing.T) {
	s := load(t)
	for enum, want := range map[string][]string{
		"FULFILLMENT_EVENTS_CREATE": {"read_fulfillments"},
		"FULFILLMENTS_UPDATE":       {"read_fulfillments", "read_marketplace_orders"},
		"ORDERS_CREATE":             {"read_orders", "read_marketplace_orders"},
		"APP_UNINSTALLED":           {},
	} {
		got, ok := s.WebhookTopic(enum)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v %v, want %v", enum, got, ok, want)
		}
	}
	if _, ok := s.WebhookTopic("FULFILLMENT_EVENTS_TELEPORTED"); ok {
		t.Error("a topic Shopify does not have")
	}
	// Every topic that names a scope is read.
	read := 0
	for _, v := range s.AST.Types["WebhookSubscriptionTopic"].EnumValues {
		if got, _ := s.WebhookTopic(v.Name); len(got) > 0 {
			read++
		}
	}
	if read < 200 {
		t.Fatalf("scopes read for only %d topics", read)
	}
}
