package shopify

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake/adminschema"
	"github.com/waybill-app/waybill/config"
)

// Every GraphQL document Waybill can send is checked against Shopify's
// published Admin API schema for APIVersion (adminschema): it validates, the
// variables Waybill builds for it fit, the default SCOPES grant everything
// it selects, and the protected customer data it reads is exactly what the
// README documents.

// sentVariables builds, for each operation Waybill sends, the variables the
// way this package builds them (several shapes where the code has several).
// A document found in the source without an entry here fails the test: add
// its variables when you add a document.
var sentVariables = map[string]func() []map[string]any{
	"OrderForFulfillment": func() []map[string]any { // sized to a copy of the order, and without one
		return []map[string]any{orderReadVars(map[string]any{"id": gid("Order", 450789469)}, &app.Order{LineItems: make([]app.LineItem, 3)}),
			orderReadVars(map[string]any{"id": gid("Order", 450789469)}, nil)}
	},
	"OrderByName": func() []map[string]any {
		return []map[string]any{orderReadVars(map[string]any{"query": "name:" + strconv.Quote("#1001")}, nil),
			orderReadVars(map[string]any{"query": "name:" + strconv.Quote("1001")}, nil)}
	},
	"OrderFulfillmentOrders": func() []map[string]any {
		return []map[string]any{{"id": gid("Order", 450789469), "after": "eyJsYXN0X2lkIjoxfQ==", "fulfillmentOrders": maxFulfillmentOrders, "lines": 3}}
	},
	"FulfillmentOrderLines": func() []map[string]any {
		return []map[string]any{{"id": gid("FulfillmentOrder", 1046000778), "after": "eyJsYXN0X2lkIjoxfQ==", "lines": nextPage}}
	},
	"OrderAllFulfillments": func() []map[string]any {
		return []map[string]any{{"id": gid("Order", 450789469), "fulfillments": allFulfillments}}
	},
	"OrderFulfillments": func() []map[string]any {
		return []map[string]any{{"id": gid("Order", 450789469)}}
	},
	"OpenOrders": func() []map[string]any { // the first page, then after a cursor
		return []map[string]any{{"query": openOrdersSearch}, {"query": openOrdersSearch, "after": "eyJsYXN0X2lkIjoxfQ=="}}
	},
	"OrderLineItems": func() []map[string]any {
		return []map[string]any{{"id": gid("Order", 450789469), "after": "9"}}
	},
	"CustomerSmsConsent": func() []map[string]any {
		return []map[string]any{{"id": gid("Customer", 207119551)}}
	},
	"FulfillmentCreate": func() []map[string]any {
		// As CreateFulfillment: lines grouped by fulfillment order, each
		// with its fulfillment order line items and quantities.
		group := func(fo int64, lines ...[2]int64) map[string]any {
			items := []any{}
			for _, l := range lines {
				items = append(items, map[string]any{"id": gid("FulfillmentOrderLineItem", l[0]), "quantity": int(l[1])})
			}
			return map[string]any{"fulfillmentOrderId": gid("FulfillmentOrder", fo), "fulfillmentOrderLineItems": items}
		}
		return []map[string]any{
			{"fulfillment": map[string]any{
				"lineItemsByFulfillmentOrder": []map[string]any{group(1001, [2]int64{2001, 2}, [2]int64{2002, 1}), group(1002, [2]int64{2003, 1})},
				"notifyCustomer":              true,
				"trackingInfo":                trackingInput("1Z999AA10123456784", "UPS", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
			}},
			{"fulfillment": map[string]any{
				"lineItemsByFulfillmentOrder": []map[string]any{group(1001, [2]int64{2001, 1})},
				"notifyCustomer":              false,
				"trackingInfo":                trackingInput("RB123456785ES", "", ""),
			}},
		}
	},
	"FulfillmentTrackingInfoUpdate": func() []map[string]any {
		return []map[string]any{
			{"fulfillmentId": gid("Fulfillment", 255858046), "trackingInfoInput": trackingInput("YT2300012345678901", "YunExpress", "https://www.yuntrack.com/parcelTracking?id=YT2300012345678901"), "notifyCustomer": true},
			{"fulfillmentId": gid("Fulfillment", 255858046), "trackingInfoInput": trackingInput("RB123456785ES", "Correos", ""), "notifyCustomer": false},
		}
	},
	"FulfillmentEventCreate": func() []map[string]any {
		// As CreateFulfillmentEvent, with and without the optional fields.
		happened := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
		eta := happened.Add(48 * time.Hour)
		full := map[string]any{"fulfillmentId": gid("Fulfillment", 255858046), "status": "IN_TRANSIT",
			"happenedAt": happened.Format(time.RFC3339), "estimatedDeliveryAt": eta.UTC().Format(time.RFC3339), "message": "Left the sorting centre"}
		bare := map[string]any{"fulfillmentId": gid("Fulfillment", 255858046), "status": "DELIVERED", "happenedAt": happened.Format(time.RFC3339)}
		return []map[string]any{{"fulfillmentEvent": full}, {"fulfillmentEvent": bare}}
	},
	"WebhookSubscriptions": func() []map[string]any {
		var first *string // the first page: a null cursor
		cursor := "eyJsYXN0X2lkIjoxfQ=="
		return []map[string]any{{"after": first}, {"after": &cursor}}
	},
	"WebhookSubscriptionCreate": func() []map[string]any {
		var out []map[string]any
		for _, topic := range []string{"orders/create", "orders/updated", "fulfillments/create", "fulfillments/update", "fulfillment_events/create", "app/uninstalled"} {
			out = append(out, map[string]any{"topic": TopicEnum(topic), "webhookSubscription": map[string]any{"uri": "https://waybill.example.com/webhooks"}})
		}
		return out
	},
	"ShopProfile": func() []map[string]any { return []map[string]any{nil} },
	"FulfillmentTracking": func() []map[string]any {
		return []map[string]any{{"id": gid("Fulfillment", 255858046)}}
	},
}

// orderReadVars are the order read's variables as FindOrder builds them.
func orderReadVars(ref map[string]any, known *app.Order) map[string]any {
	size := orderReadSizeFor(known)
	ref["withCustomer"], ref["fulfillmentOrders"], ref["lines"], ref["fulfillments"] = known == nil, size.fulfillmentOrders, size.lines, size.fulfillments
	return ref
}

// The protected customer data Waybill reads, as the README documents it:
// the order's email, the customer's first name, and the order's phones (the
// order's, the shipping address's, the customer's default phone: level 2,
// for WhatsApp/SMS shipping updates and the tracking page's lookup by phone).
var wantProtected = []adminschema.ProtectedRead{
	{Coordinate: "Customer.firstName", Subject: "customer", Content: "name"},
	{Coordinate: "CustomerPhoneNumber.phoneNumber", Subject: "customer", Content: "phone"},
	{Coordinate: "MailingAddress.phone", Subject: "customer", Content: "phone"},
	{Coordinate: "Order.email", Subject: "customer", Content: "email"},
	{Coordinate: "Order.phone", Subject: "customer", Content: "phone"},
}

func TestEveryDocumentFitsTheAdminAPISchema(t *testing.T) {
	schema, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	if adminschema.Version != APIVersion {
		t.Fatalf("the schema is %s but Waybill calls %s: take admin_%s.json.gz from a newer @shopify/dev-mcp", adminschema.Version, APIVersion, APIVersion)
	}
	granted := adminschema.ParseScopes(config.DefaultScopes)
	docs := documentsInSource(t)

	// The scan must see the documents this package declares.
	for name, text := range map[string]string{
		"orderByIDQuery": orderByIDQuery, "orderByNameQuery": orderByNameQuery, "fulfillmentCreateMutation": fulfillmentCreateMutation,
		"trackingUpdateMutation": trackingUpdateMutation, "fulfillmentEventCreateMutation": fulfillmentEventCreateMutation,
		"webhookSubscriptionsQuery": webhookSubscriptionsQuery, "webhookSubscriptionCreateMutation": webhookSubscriptionCreateMutation,
		"orderFulfillmentsQuery": orderFulfillmentsQuery, "shopProfileQuery": shopProfileQuery, "fulfillmentTrackingQuery": fulfillmentTrackingQuery,
	} {
		if docs[name] != text {
			t.Errorf("the source scan read %s as %q", name, docs[name])
		}
	}

	names := make([]string, 0, len(docs))
	for where := range docs {
		names = append(names, where)
	}
	sort.Strings(names)
	t.Logf("documents in the source: %s", strings.Join(names, ", "))

	var protected []adminschema.ProtectedRead
	seenOps := map[string]bool{}
	for where, text := range docs {
		doc, errs := schema.Validate(text)
		if errs != nil {
			t.Errorf("%s does not validate against the %s Admin API:\n%v\n%s", where, adminschema.Version, errs, text)
			continue
		}
		if len(doc.Operations) != 1 {
			t.Errorf("%s has %d operations", where, len(doc.Operations))
			continue
		}
		op := doc.Operations[0]
		if op.Name == "" {
			t.Errorf("%s is an anonymous operation: name it, so Shopify's logs and this test can tell it apart", where)
			continue
		}
		seenOps[op.Name] = true
		for _, d := range schema.Denials(doc, op, granted) {
			t.Errorf("%s (%s): the default SCOPES do not grant %s at %s: %s", where, op.Name, d.Coordinate, strings.Join(d.Path, "."), d.RequiredAccess)
		}
		protected = append(protected, schema.ProtectedFields(doc, op)...)
		build, ok := sentVariables[op.Name]
		if !ok {
			t.Errorf("%s (%s) is not covered: add the variables Waybill sends with it to sentVariables", where, op.Name)
			continue
		}
		for i, vars := range build() {
			if _, err := schema.VariableValues(op, normalise(vars)); err != nil {
				t.Errorf("%s (%s), variables #%d: %v", where, op.Name, i, err)
			}
		}
	}
	for name := range sentVariables {
		if !seenOps[name] {
			t.Errorf("sentVariables has %s, which no document in the source sends", name)
		}
	}

	sort.Slice(protected, func(i, j int) bool { return protected[i].Coordinate < protected[j].Coordinate })
	protected = compactProtected(protected)
	if !reflect.DeepEqual(protected, wantProtected) {
		t.Errorf("protected customer data read:\n got %+v\nwant %+v (what the README documents)", protected, wantProtected)
	}
}

// The order read is about to gain each fulfillment's status, its line items
// and more tracking numbers: that shape must fit the schema and the scopes too.
func TestTheExtendedOrderReadFits(t *testing.T) {
	schema, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(orderFields, "fulfillments(first: $fulfillments)")
	if i < 0 {
		t.Fatal("orderFields no longer reads fulfillments(first: $fulfillments): extend this test's shape to the new read")
	}
	fields := orderFields[:i] + "fulfillments(first: $fulfillments) { id status trackingInfo(first: 10) { number company url } " +
		"fulfillmentLineItems(first: 50) { nodes { id quantity lineItem { id } } } }"
	q := `query OrderForFulfillment($id: ID!, ` + orderVariables + `) { order(id: $id) { ` + fields + ` } }`
	doc, errs := schema.Validate(q)
	if errs != nil {
		t.Fatalf("%v\n%s", errs, q)
	}
	if d := schema.Denials(doc, doc.Operations[0], adminschema.ParseScopes(config.DefaultScopes)); len(d) > 0 {
		t.Fatalf("denied: %+v", d)
	}
	if got := compactProtected(schema.ProtectedFields(doc, doc.Operations[0])); !reflect.DeepEqual(got, wantProtected) {
		t.Fatalf("protected: %+v", got)
	}
}

// What each scope is for: without read_locations the order read loses the
// fulfillment orders' locations; without read_customers, the customer.
func TestEachReadScopeIsNeeded(t *testing.T) {
	schema, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	doc, errs := schema.Validate(orderByIDQuery)
	if errs != nil {
		t.Fatal(errs)
	}
	op := doc.Operations[0]
	for scope, wantDenied := range map[string]string{
		"read_locations": "FulfillmentOrderAssignedLocation.location",
		"read_customers": "Order.customer",
		"read_orders":    "QueryRoot.order",
	} {
		without := adminschema.ParseScopes(config.DefaultScopes)
		delete(without, scope)
		denied := map[string]bool{}
		for _, d := range schema.Denials(doc, op, without) {
			denied[d.Coordinate] = true
		}
		if !denied[wantDenied] {
			t.Errorf("without %s, %s is still granted (denied: %v)", scope, wantDenied, denied)
		}
	}
}

func compactProtected(in []adminschema.ProtectedRead) []adminschema.ProtectedRead {
	var out []adminschema.ProtectedRead
	for i, p := range in {
		if i == 0 || p != in[i-1] {
			out = append(out, p)
		}
	}
	return out
}

// normalise turns Go values into what a JSON round trip gives the server
// (numbers as float64, typed slices and pointers as plain values), as
// go-shopify sends them.
func normalise(v map[string]any) map[string]any {
	if v == nil {
		return nil
	}
	out := map[string]any{}
	for k, x := range v {
		out[k] = normaliseValue(x)
	}
	return out
}

func normaliseValue(v any) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return normaliseValue(rv.Elem().Interface())
	case reflect.Map:
		out := map[string]any{}
		for _, k := range rv.MapKeys() {
			out[k.String()] = normaliseValue(rv.MapIndex(k).Interface())
		}
		return out
	case reflect.Slice:
		if rv.IsNil() {
			return nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normaliseValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Int, reflect.Int64, reflect.Int32:
		return float64(rv.Int())
	}
	return v
}

// documentsInSource finds every GraphQL document in this package's Go
// source (test files aside): string constants, literals and concatenations
// of them whose text starts with "query " or "mutation ". Keys are the
// constant's name, or file:line for one written in place.
func documentsInSource(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	consts := map[string]ast.Expr{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							consts[n.Name] = vs.Values[i]
						}
					}
				}
			}
		}
	}
	var eval func(e ast.Expr, depth int) (string, bool)
	eval = func(e ast.Expr, depth int) (string, bool) {
		if depth > 20 {
			return "", false
		}
		switch x := e.(type) {
		case *ast.BasicLit:
			if x.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(x.Value)
			return s, err == nil
		case *ast.Ident:
			if c, ok := consts[x.Name]; ok {
				return eval(c, depth+1)
			}
		case *ast.ParenExpr:
			return eval(x.X, depth+1)
		case *ast.BinaryExpr:
			if x.Op == token.ADD {
				a, ok1 := eval(x.X, depth+1)
				b, ok2 := eval(x.Y, depth+1)
				return a + b, ok1 && ok2
			}
		}
		return "", false
	}
	// "query …", "mutation …", or an anonymous "{ field … }" (not JSON: "{\"").
	isDocument := regexp.MustCompile(`^\s*(query[\s{(]|mutation[\s{(]|\{\s*[A-Za-z_])`).MatchString
	docs := map[string]string{}
	for name, e := range consts {
		if s, ok := eval(e, 0); ok && isDocument(s) {
			docs[name] = s
		}
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.GenDecl:
				return x.Tok != token.CONST // constants are read above
			case *ast.BinaryExpr, *ast.BasicLit:
				if s, ok := eval(x.(ast.Expr), 0); ok && isDocument(s) {
					docs[fset.Position(x.Pos()).String()] = s
					return false
				}
			}
			return true
		})
	}
	return docs
}
