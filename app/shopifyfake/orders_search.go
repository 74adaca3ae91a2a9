package shopifyfake

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// orders answers the orders connection as Shopify does: the search query
// (terms, AND, OR, NOT, parentheses; the filters Waybill uses), sortKey and
// reverse, and opaque cursors that name the last order seen — so a page
// after the cursor is right even when orders left the filter meanwhile
// (they were fulfilled by a backfill's neighbour).
func (e *execution) orders(args map[string]any) any {
	q, _ := args["query"].(string)
	match, ok := parseOrderSearch(q)
	if !ok {
		e.fail("Invalid search query: %q", q)
		return nil
	}
	sortKey, _ := args["sortKey"].(string)
	key := func(o *Order) string {
		switch sortKey {
		case "ID":
			return ""
		case "UPDATED_AT":
			return ts(o.UpdatedAt)
		case "ORDER_NUMBER":
			return strconv.FormatInt(int64(1e12)+o.ID, 10)
		}
		return ts(o.CreatedAt) // CREATED_AT, PROCESSED_AT (the default): the fake processes orders when created
	}
	all := append([]*Order(nil), e.shop.orders...)
	sort.SliceStable(all, func(i, j int) bool {
		ki, kj := key(all[i]), key(all[j])
		if ki != kj {
			return ki < kj
		}
		return all[i].ID < all[j].ID
	})
	if rev, _ := args["reverse"].(bool); rev {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	start := 0
	if after, ok := args["after"].(string); ok && after != "" {
		c, ok := decodeOrderCursor(after)
		if !ok {
			e.fail("Invalid cursor for current pagination sort.")
			return nil
		}
		start = len(all)
		for i, o := range all {
			if o.ID == c.LastID {
				start = i + 1
				break
			}
		}
	}
	var matched []*Order
	for _, o := range all[start:] {
		if match(o) {
			matched = append(matched, o)
		}
	}
	first := len(matched)
	if f, ok := toInt(args["first"]); ok {
		if f < 0 || f > 250 {
			e.fail("The value of 'first' must be between 0 and 250.")
			return nil
		}
		first = min(f, first)
	}
	page := matched[:first]
	nodes := make([]obj, len(page))
	edges := make([]obj, len(page))
	var startCursor, endCursor any
	for i, o := range page {
		nodes[i] = e.orderObj(o)
		c := orderCursor(o, key(o))
		edges[i] = obj{"__typename": "OrderEdge", "cursor": c, "node": nodes[i]}
		if i == 0 {
			startCursor = c
		}
		endCursor = c
	}
	return obj{"__typename": "OrderConnection", "nodes": nodes, "edges": edges, "pageInfo": obj{"__typename": "PageInfo",
		"hasNextPage": first < len(matched), "hasPreviousPage": start > 0, "startCursor": startCursor, "endCursor": endCursor}}
}

type orderCursorValue struct {
	LastID    int64  `json:"last_id"`
	LastValue string `json:"last_value"`
}

// orderCursor is opaque like Shopify's: base64 of the last order's id and
// sort value.
func orderCursor(o *Order, value string) string {
	b, err := json.Marshal(orderCursorValue{LastID: o.ID, LastValue: value})
	if err != nil {
		panic(err) // two plain fields always encode
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeOrderCursor(s string) (orderCursorValue, bool) {
	var c orderCursorValue
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.LastID == 0 {
		return c, false
	}
	return c, true
}

// ----- search syntax -----

type orderMatch func(*Order) bool

// parseOrderSearch reads Shopify's search syntax as far as orders need:
// key:value terms (values may be quoted), implicit or explicit AND, OR,
// NOT or a leading -, and parentheses. AND binds tighter than OR. Unknown
// filters and free text match every order, as before.
func parseOrderSearch(q string) (orderMatch, bool) {
	p := &searchParser{tokens: searchTokens(q)}
	if len(p.tokens) == 0 {
		return func(*Order) bool { return true }, true
	}
	m, ok := p.or()
	return m, ok && p.pos == len(p.tokens)
}

type searchParser struct {
	tokens []string
	pos    int
}

func (p *searchParser) peek() string {
	if p.pos < len(p.tokens) {
		return p.tokens[p.pos]
	}
	return ""
}

func (p *searchParser) or() (orderMatch, bool) {
	left, ok := p.and()
	for ok && p.peek() == "OR" {
		p.pos++
		var right orderMatch
		if right, ok = p.and(); ok {
			l := left
			left = func(o *Order) bool { return l(o) || right(o) }
		}
	}
	return left, ok
}

func (p *searchParser) and() (orderMatch, bool) {
	left, ok := p.unary()
	for ok {
		switch t := p.peek(); {
		case t == "AND":
			p.pos++
		case t == "" || t == "OR" || t == ")":
			return left, true
		}
		var right orderMatch
		if right, ok = p.unary(); ok {
			l := left
			left = func(o *Order) bool { return l(o) && right(o) }
		}
	}
	return left, ok
}

func (p *searchParser) unary() (orderMatch, bool) {
	t := p.peek()
	switch {
	case t == "":
		return nil, false
	case t == "NOT":
		p.pos++
		m, ok := p.unary()
		return func(o *Order) bool { return !m(o) }, ok
	case t == "(":
		p.pos++
		m, ok := p.or()
		if !ok || p.peek() != ")" {
			return nil, false
		}
		p.pos++
		return m, true
	case t == ")" || t == "AND" || t == "OR":
		return nil, false
	case strings.HasPrefix(t, "-") && len(t) > 1:
		p.pos++
		m := orderTerm(t[1:])
		return func(o *Order) bool { return !m(o) }, true
	}
	p.pos++
	return orderTerm(t), true
}

// orderTerm matches one key:value filter.
func orderTerm(term string) orderMatch {
	k, v, ok := strings.Cut(term, ":")
	if !ok {
		return func(*Order) bool { return true }
	}
	v = strings.ToLower(strings.Trim(v, `"'`))
	switch k {
	case "status":
		// The fake's orders are never closed or cancelled.
		return func(*Order) bool { return v == "open" || v == "not_closed" }
	case "fulfillment_status":
		want := map[string]string{"unshipped": "UNFULFILLED", "unfulfilled": "UNFULFILLED", "partial": "PARTIALLY_FULFILLED",
			"shipped": "FULFILLED", "fulfilled": "FULFILLED"}[v]
		return func(o *Order) bool { return want != "" && displayFulfillmentStatus(o) == want }
	}
	return func(o *Order) bool { return matchesOrderQuery(o, term) }
}

// searchTokens splits a query into terms, parentheses and connectives,
// keeping quoted values whole.
func searchTokens(q string) []string {
	var out []string
	var cur strings.Builder
	quote := rune(0)
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range q {
		switch {
		case quote != 0:
			cur.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
			cur.WriteRune(r)
		case r == '(' || r == ')':
			flush()
			out = append(out, string(r))
		case unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}
