package shopifyfake

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// obj is a resolved GraphQL object: field name → value, where a value may be
// a func(args) any for fields that take arguments (connections, lists).
type obj map[string]any

type fieldFunc func(args map[string]any) any

// gqlError is a top-level GraphQL error.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type execution struct {
	store     *Store
	shop      *Shop
	vars      map[string]any
	fragments ast.FragmentDefinitionList
	errors    []gqlError
	// objects counts the objects returned: a query's actual cost.
	objects int
}

func (e *execution) fail(format string, args ...any) {
	e.errors = append(e.errors, gqlError{Message: fmt.Sprintf(format, args...)})
}

// graphql serves POST /admin/api/{version}/graphql.json.
func (s *Store) graphql(w http.ResponseWriter, r *http.Request, shopDomain, version string) {
	if !SupportedAPIVersions[version] {
		http.Error(w, `{"errors":"Not Found"}`, http.StatusNotFound)
		return
	}
	if s.applyFaults(w) {
		return
	}
	var req struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || req.Query == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]string{"query": "Required parameter missing or invalid"}})
		return
	}
	doc, perr := parser.ParseQuery(&ast.Source{Input: req.Query})
	if perr != nil {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{{Message: perr.Error()}}})
		return
	}
	op := pickOperation(doc, req.OperationName)
	if op == nil {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{{Message: "No operation named " + strconv.Quote(req.OperationName)}}})
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[shopDomain]
	if sh == nil || !s.checkAccessToken(sh, r.Header.Get("X-Shopify-Access-Token")) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}

	cost := requestedCost(op)
	available := s.refill(sh)
	throttle := map[string]any{"maximumAvailable": s.opts.BucketSize, "currentlyAvailable": available, "restoreRate": s.opts.RestoreRate}
	if s.faults.Throttles > 0 || float64(cost) > available {
		if s.faults.Throttles > 0 {
			s.faults.Throttles--
		}
		s.calls["throttled"]++
		writeJSON(w, http.StatusOK, map[string]any{
			"errors":     []gqlError{{Message: "Throttled", Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}},
			"extensions": map[string]any{"cost": map[string]any{"requestedQueryCost": cost, "actualQueryCost": nil, "throttleStatus": throttle}},
		})
		return
	}

	vars, err := withDefaults(op, req.Variables)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{{Message: err.Error()}}})
		return
	}
	ex := &execution{store: s, shop: sh, vars: vars, fragments: doc.Fragments}
	data := obj{}
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		args := ex.args(f)
		var v any
		if op.Operation == ast.Mutation {
			v = ex.mutation(f.Name, args)
		} else {
			v = ex.query(f.Name, args)
		}
		if v == errUnknownField {
			root := "QueryRoot"
			if op.Operation == ast.Mutation {
				root = "Mutation"
			}
			ex.fail("Field '%s' doesn't exist on type '%s'", f.Name, root)
			continue
		}
		s.calls[f.Name]++
		data[f.Alias] = ex.project(v, f.SelectionSet)
	}
	actual := cost
	if op.Operation != ast.Mutation {
		actual = max(1, min(cost, ex.objects))
	}
	sh.bucket = available - float64(actual)
	sh.pointsCharged += float64(actual)
	throttle["currentlyAvailable"] = sh.bucket
	resp := map[string]any{"data": data, "extensions": map[string]any{"cost": map[string]any{
		"requestedQueryCost": cost, "actualQueryCost": actual, "throttleStatus": throttle}}}
	if len(ex.errors) > 0 {
		resp["errors"] = ex.errors
		if hasTypeErrors(ex.errors) {
			delete(resp, "data") // validation errors: nothing ran
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// errUnknownField marks a root field the fake does not have.
var errUnknownField = &struct{ unknown bool }{true}

func hasTypeErrors(errs []gqlError) bool {
	for _, e := range errs {
		if strings.Contains(e.Message, "doesn't exist on type") || strings.Contains(e.Message, "invalid value") {
			return true
		}
	}
	return false
}

func pickOperation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	if name != "" {
		return doc.Operations.ForName(name)
	}
	if len(doc.Operations) == 1 {
		return doc.Operations[0]
	}
	return nil
}

func withDefaults(op *ast.OperationDefinition, vars map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range vars {
		out[k] = v
	}
	for _, d := range op.VariableDefinitions {
		if _, ok := out[d.Variable]; !ok && d.DefaultValue != nil {
			v, err := d.DefaultValue.Value(nil)
			if err != nil {
				return nil, fmt.Errorf("default value of variable '$%s' is invalid: %w", d.Variable, err)
			}
			out[d.Variable] = v
		}
	}
	return out, nil
}

func (e *execution) args(f *ast.Field) map[string]any {
	out := map[string]any{}
	for _, a := range f.Arguments {
		v, err := a.Value.Value(e.vars)
		if err != nil {
			e.fail("Argument '%s' on Field '%s' has an invalid value: %v", a.Name, f.Name, err)
			continue
		}
		out[a.Name] = v
	}
	return out
}

// project keeps only the selected fields of v, like a GraphQL executor does.
func (e *execution) project(v any, sel ast.SelectionSet) any {
	if len(sel) == 0 || v == nil {
		return v
	}
	switch x := v.(type) {
	case []obj:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = e.project(item, sel)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = e.project(item, sel)
		}
		return out
	case obj:
		if t, _ := x["__typename"].(string); t != "Connection" && t != "Edge" && t != "PageInfo" {
			e.objects++
		}
		out := obj{}
		e.projectInto(out, x, sel)
		return out
	}
	return v
}

func (e *execution) projectInto(out, x obj, sel ast.SelectionSet) {
	typename, _ := x["__typename"].(string)
	for _, s := range sel {
		switch f := s.(type) {
		case *ast.Field:
			if f.Name == "__typename" {
				out[f.Alias] = typename
				continue
			}
			fv, ok := x[f.Name]
			if !ok {
				e.fail("Field '%s' doesn't exist on type '%s'", f.Name, typename)
				continue
			}
			if fn, ok := fv.(fieldFunc); ok {
				fv = fn(e.args(f))
			}
			out[f.Alias] = e.project(fv, f.SelectionSet)
		case *ast.InlineFragment:
			if f.TypeCondition == "" || f.TypeCondition == typename {
				e.projectInto(out, x, f.SelectionSet)
			}
		case *ast.FragmentSpread:
			if def := e.fragments.ForName(f.Name); def != nil && (def.TypeCondition == typename || def.TypeCondition == "") {
				e.projectInto(out, x, def.SelectionSet)
			}
		}
	}
}

// requestedCost follows Shopify's calculated query cost: 10 points per
// mutation field; for queries, 1 per object and, for a connection, 2 plus
// its page size times the cost of one node.
func requestedCost(op *ast.OperationDefinition) int {
	if op.Operation == ast.Mutation {
		n := 0
		for _, s := range op.SelectionSet {
			if _, ok := s.(*ast.Field); ok {
				n += 10
			}
		}
		return n
	}
	return max(1, selectionCost(op.SelectionSet))
}

func selectionCost(sel ast.SelectionSet) int {
	total := 0
	for _, s := range sel {
		f, ok := s.(*ast.Field)
		if !ok || len(f.SelectionSet) == 0 {
			continue
		}
		page := 0
		for _, a := range f.Arguments {
			if a.Name == "first" || a.Name == "last" {
				page = 10 // a variable: assume a modest page
				if n, err := strconv.Atoi(a.Value.Raw); err == nil {
					page = n
				}
			}
		}
		switch f.Name {
		case "edges", "nodes", "node":
			total += selectionCost(f.SelectionSet) // counted by the connection
		default:
			if page > 0 {
				total += 2 + page*max(1, selectionCost(f.SelectionSet))
			} else {
				total += 1 + selectionCost(f.SelectionSet)
			}
		}
	}
	return total
}

// refill tops up the leaky bucket for the time passed.
func (s *Store) refill(sh *Shop) float64 {
	now := s.clock.Now()
	elapsed := now.Sub(sh.bucketAt).Seconds()
	sh.bucketAt = now
	sh.bucket = math.Min(s.opts.BucketSize, sh.bucket+elapsed*s.opts.RestoreRate)
	return sh.bucket
}

// applyFaults answers with an injected fault and reports whether it did.
func (s *Store) applyFaults(w http.ResponseWriter) bool {
	s.mu.Lock()
	latency := s.faults.Latency
	var status, retryAfter int
	switch {
	case s.faults.ServerErrors > 0:
		s.faults.ServerErrors--
		status = http.StatusServiceUnavailable
	case s.faults.HTTPThrottles > 0:
		s.faults.HTTPThrottles--
		status = http.StatusTooManyRequests
		retryAfter = max(1, s.faults.RetryAfter)
	}
	s.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	switch status {
	case http.StatusServiceUnavailable:
		writeJSON(w, status, map[string]any{"errors": "Service Unavailable"})
		return true
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeJSON(w, status, map[string]any{"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
		return true
	}
	return false
}

// writeJSON encodes v before sending anything, so a value that does not
// encode (a bug in the fake) is a 500 rather than a cut-off body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "shopifyfake: cannot encode the answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// connection pages items like a Relay connection (first/after by index cursor).
func connection(items []obj) fieldFunc {
	return func(args map[string]any) any {
		start := 0
		if after, ok := args["after"].(string); ok && after != "" {
			if n, err := strconv.Atoi(after); err == nil {
				start = n + 1
			}
		}
		first := len(items)
		if f, ok := toInt(args["first"]); ok {
			first = f
		}
		end := min(len(items), start+first)
		if start > end {
			start = end
		}
		page := items[start:end]
		edges := make([]obj, len(page))
		nodes := make([]obj, len(page))
		for i, n := range page {
			edges[i] = obj{"__typename": "Edge", "cursor": strconv.Itoa(start + i), "node": n}
			nodes[i] = n
		}
		endCursor, startCursor := any(nil), any(nil)
		if len(page) > 0 {
			startCursor, endCursor = strconv.Itoa(start), strconv.Itoa(end-1)
		}
		return obj{"__typename": "Connection", "edges": edges, "nodes": nodes, "pageInfo": obj{
			"__typename": "PageInfo", "hasNextPage": end < len(items), "hasPreviousPage": start > 0,
			"startCursor": startCursor, "endCursor": endCursor,
		}}
	}
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return int(x), true
	case int:
		return x, true
	case float64:
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
