package shopifyfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/waybill-app/waybill/app/shopifyfake/adminschema"
)

// obj is a resolved GraphQL object: field name → value, where a value may be
// a func(args) any for fields that take arguments (connections, lists).
// "__typename" names the object's type; the fake's generic connections say
// "Connection", "Edge" and "PageInfo", and the schema gives their real names.
type obj map[string]any

type fieldFunc func(args map[string]any) any

// gqlError is a top-level GraphQL error, in the order Shopify writes its keys.
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []gqlLocation  `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type gqlLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func locationsOf(pos *ast.Position) []gqlLocation {
	if pos == nil {
		return nil
	}
	return []gqlLocation{{Line: pos.Line, Column: pos.Column}}
}

// accessScopesDoc is the documentation link Shopify puts in ACCESS_DENIED errors.
const accessScopesDoc = "https://shopify.dev/api/usage/access-scopes"

type execution struct {
	store     *Store
	shop      *Shop
	schema    *adminschema.Schema
	op        *ast.OperationDefinition
	granted   adminschema.Scopes
	vars      map[string]any
	fragments ast.FragmentDefinitionList
	errors    []gqlError
	// objects counts the objects returned: a query's actual cost.
	objects int
}

func (e *execution) fail(format string, args ...any) {
	e.errors = append(e.errors, gqlError{Message: fmt.Sprintf(format, args...)})
}

func (e *execution) failAt(f *ast.Field, path ast.Path, format string, args ...any) {
	e.errors = append(e.errors, gqlError{Message: fmt.Sprintf(format, args...), Locations: locationsOf(f.Position), Path: pathJSON(path)})
}

// accessDenied records Shopify's ACCESS_DENIED error for a field whose own
// requiredAccess, or whose type's, the token's scopes do not meet. The
// shape is Shopify's as apps report it (for example
// github.com/Shopify/function-examples/issues/164):
//
//	{"message": "Access denied for checkoutServerExtensionCreate field. Required access: …",
//	 "locations": [{"line": 2, "column": 3}], "path": ["checkoutServerExtensionCreate"],
//	 "extensions": {"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
//	                "requiredAccess": "…"}}
//
// with null data at the field (and the GraphQL spec's null propagation
// above it when the field is non-null). Not confirmed from Shopify's own
// answers: that a denial inside a list gets one error per element (the fake
// does, with the index in the path, as graphql-ruby would), and that a type
// restriction names the field that returned the type (the fake does).
func (e *execution) accessDenied(f *ast.Field, path ast.Path, required string) {
	msg := "Access denied for " + f.Name + " field."
	ext := map[string]any{"code": "ACCESS_DENIED", "documentation": accessScopesDoc}
	if required != "" {
		msg += " Required access: " + required
		ext["requiredAccess"] = required
	}
	e.errors = append(e.errors, gqlError{Message: msg, Locations: locationsOf(f.Position), Path: pathJSON(path), Extensions: ext})
}

func pathJSON(p ast.Path) []any {
	out := make([]any, len(p))
	for i, el := range p {
		switch x := el.(type) {
		case ast.PathName:
			out[i] = string(x)
		case ast.PathIndex:
			out[i] = int(x)
		}
	}
	return out
}

func appendPath(p ast.Path, el ast.PathElement) ast.Path {
	return append(append(make(ast.Path, 0, len(p)+1), p...), el)
}

// graphql serves POST /admin/api/{version}/graphql.json like Shopify: the
// token is checked, the document is validated against the real Admin API
// schema (adminschema) and its variables coerced, the cost is charged, and
// the operation runs with every field checked against the scopes the token
// was granted.
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
	schema, err := adminschema.Load()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"errors": "shopifyfake: " + err.Error()})
		return
	}
	doc, perr := parser.ParseQuery(&ast.Source{Input: req.Query})
	if perr != nil {
		writeJSON(w, http.StatusOK, map[string]any{"errors": validationErrors(gqlerror.List{asGQLError(perr)})})
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[shopDomain]
	var grant tokenGrant
	ok := false
	if sh != nil {
		grant, ok = s.checkAccessToken(sh, r.Header.Get("X-Shopify-Access-Token"))
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}

	// What real Shopify refuses before running anything: an invalid
	// document (200 with top-level errors, no data), then bad variables.
	if errs := validator.ValidateWithRules(schema.AST, doc, nil); len(errs) > 0 {
		s.calls["invalid_query"]++
		writeJSON(w, http.StatusOK, map[string]any{"errors": validationErrors(errs)})
		return
	}
	op := pickOperation(doc, req.OperationName)
	if op == nil {
		msg := "An operation name is required"
		if req.OperationName != "" {
			msg = "No operation named " + strconv.Quote(req.OperationName)
		}
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{{Message: msg}}})
		return
	}
	vars, err := schema.VariableValues(op, req.Variables)
	if err != nil {
		s.calls["invalid_query"]++
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{variableError(schema, op, req.Variables, err)}})
		return
	}

	cost := requestedCost(op, vars, doc.Fragments)
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

	ex := &execution{store: s, shop: sh, schema: schema, op: op, granted: adminschema.ParseScopes(grant.scopes),
		vars: vars, fragments: doc.Fragments}
	data := ex.run()
	actual := cost
	if op.Operation != ast.Mutation {
		actual = max(1, min(cost, ex.objects))
	}
	sh.bucket = available - float64(actual)
	sh.pointsCharged += float64(actual)
	sh.account(op.Name, cost, actual)
	throttle["currentlyAvailable"] = sh.bucket
	resp := map[string]any{"data": data, "extensions": map[string]any{"cost": map[string]any{
		"requestedQueryCost": cost, "actualQueryCost": actual, "throttleStatus": throttle}}}
	if len(ex.errors) > 0 {
		resp["errors"] = ex.errors
		for _, e := range ex.errors {
			if e.Extensions["code"] == "ACCESS_DENIED" {
				s.calls["access_denied"]++
				break
			}
		}
		if hasTypeErrors(ex.errors) {
			delete(resp, "data") // an argument the resolver refused: nothing ran
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// errUnknownField marks a root field that is in the Admin API schema but
// that the fake does not resolve.
var errUnknownField = &struct{ unknown bool }{true}

func hasTypeErrors(errs []gqlError) bool {
	for _, e := range errs {
		if strings.Contains(e.Message, "invalid value") {
			return true
		}
	}
	return false
}

func pickOperation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	return adminschema.Operation(doc, name)
}

func asGQLError(err error) *gqlerror.Error {
	var g *gqlerror.Error
	if errors.As(err, &g) {
		return g
	}
	return gqlerror.Wrap(err)
}

var (
	undefinedField  = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"`)
	unknownArgument = regexp.MustCompile(`^Unknown argument "([^"]+)" on field "[^".]+\.([^"]+)"`)
	missingArgument = regexp.MustCompile(`^Field "([^"]+)" argument "([^"]+)" of type "[^"]+" is required`)
)

// validationErrors turns gqlparser's validation errors into Shopify's
// answer. Shopify runs graphql-ruby, whose wording and extensions differ
// from gqlparser's: the three errors an app meets most (an unknown field,
// an unknown argument, a missing required argument) are rewritten in
// graphql-ruby's words and codes (undefinedField, argumentNotAccepted,
// missingRequiredArguments) as recalled from graphql-ruby's static
// validation, not confirmed against a live Shopify answer; the others keep
// gqlparser's message.
func validationErrors(errs gqlerror.List) []gqlError {
	out := make([]gqlError, 0, len(errs))
	for _, err := range errs {
		g := gqlError{Message: err.Message}
		for _, l := range err.Locations {
			g.Locations = append(g.Locations, gqlLocation{Line: l.Line, Column: l.Column})
		}
		if m := undefinedField.FindStringSubmatch(err.Message); m != nil {
			g.Message = fmt.Sprintf("Field '%s' doesn't exist on type '%s'", m[1], m[2])
			g.Extensions = map[string]any{"code": "undefinedField", "typeName": m[2], "fieldName": m[1]}
		} else if m := unknownArgument.FindStringSubmatch(err.Message); m != nil {
			g.Message = fmt.Sprintf("Field '%s' doesn't accept argument '%s'", m[2], m[1])
			g.Extensions = map[string]any{"code": "argumentNotAccepted", "name": m[2], "typeName": "Field", "argumentName": m[1]}
		} else if m := missingArgument.FindStringSubmatch(err.Message); m != nil {
			g.Message = fmt.Sprintf("Field '%s' is missing required arguments: %s", m[1], m[2])
			g.Extensions = map[string]any{"code": "missingRequiredArguments", "className": "Field", "name": m[1], "arguments": m[2]}
		}
		out = append(out, g)
	}
	return out
}

// variableError is graphql-ruby's answer to a variable that does not fit
// its type: "Variable $fulfillment of type FulfillmentInput! was provided
// invalid value for lineItemsByFulfillmentOrder.0.fulfillmentOrderId
// (Expected value to not be null)", with the value and the problem in the
// extensions.
func variableError(schema *adminschema.Schema, op *ast.OperationDefinition, vars map[string]any, err error) gqlError {
	g := asGQLError(err)
	var name string
	var rest []any
	if len(g.Path) >= 2 {
		if n, ok := g.Path[1].(ast.PathName); ok {
			name = string(n)
		}
		rest = pathJSON(g.Path[2:])
	}
	def := op.VariableDefinitions.ForName(name)
	if def == nil {
		return gqlError{Message: err.Error()}
	}
	explanation := g.Message
	switch {
	case explanation == "must be defined" || explanation == "cannot be null":
		explanation = "Expected value to not be null"
	case explanation == "unknown field":
		explanation = "Field is not defined on " + inputTypeAt(schema, def.Type, g.Path[2:len(g.Path)-1])
	}
	msg := fmt.Sprintf("Variable $%s of type %s was provided invalid value", name, def.Type.String())
	if len(rest) > 0 {
		parts := make([]string, len(rest))
		for i, p := range rest {
			parts[i] = fmt.Sprint(p)
		}
		msg += " for " + strings.Join(parts, ".")
	}
	msg += " (" + explanation + ")"
	if rest == nil {
		rest = []any{}
	}
	return gqlError{Message: msg, Locations: locationsOf(def.Position), Extensions: map[string]any{
		"value": vars[name], "problems": []any{map[string]any{"path": rest, "explanation": explanation}}}}
}

// inputTypeAt follows path (field names and list indexes) down from t and
// names the input type found there.
func inputTypeAt(schema *adminschema.Schema, t *ast.Type, path ast.Path) string {
	for _, el := range path {
		for t.Elem != nil {
			t = t.Elem
		}
		name, ok := el.(ast.PathName)
		if !ok {
			continue
		}
		def := schema.AST.Types[t.NamedType]
		if def == nil {
			break
		}
		f := def.Fields.ForName(string(name))
		if f == nil {
			break
		}
		t = f.Type
	}
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
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

// getter resolves one selected field of an object; false when the fake has
// no resolver for it.
type getter func(f *ast.Field) (any, bool)

// run executes the operation's root fields in order (a mutation's one after
// the other) and returns the data: nil when a non-null root field came out
// null.
func (e *execution) run() obj {
	root := e.schema.AST.Query.Name
	if e.op.Operation == ast.Mutation {
		root = e.schema.AST.Mutation.Name
	}
	data := obj{}
	ok := e.selectInto(data, root, e.op.SelectionSet, nil, func(f *ast.Field) (any, bool) {
		var v any
		if e.op.Operation == ast.Mutation {
			v = e.mutation(f.Name, e.args(f))
		} else {
			v = e.query(f.Name, e.args(f))
		}
		if v == errUnknownField {
			return nil, false
		}
		e.store.calls[f.Name]++
		return v, true
	})
	if !ok {
		return nil
	}
	return data
}

// selectInto resolves a selection set on an object of type typeName into
// out. It reports false when a non-null field came out null, so the object
// itself must be null.
func (e *execution) selectInto(out obj, typeName string, sel ast.SelectionSet, path ast.Path, get getter) bool {
	ok := true
	for _, s := range sel {
		switch f := s.(type) {
		case *ast.Field:
			if e.skipped(f.Directives) {
				continue
			}
			if !e.field(out, typeName, f, path, get) {
				ok = false
			}
		case *ast.InlineFragment:
			if e.skipped(f.Directives) || !e.applies(f.TypeCondition, typeName) {
				continue
			}
			if !e.selectInto(out, typeName, f.SelectionSet, path, get) {
				ok = false
			}
		case *ast.FragmentSpread:
			def := e.fragments.ForName(f.Name)
			if def == nil || e.skipped(f.Directives) || !e.applies(def.TypeCondition, typeName) {
				continue
			}
			if !e.selectInto(out, typeName, def.SelectionSet, path, get) {
				ok = false
			}
		}
	}
	return ok
}

// skipped applies @skip and @include.
func (e *execution) skipped(dirs ast.DirectiveList) bool { return skippedBy(dirs, e.vars) }

// skippedBy reports whether @skip or @include, with these variables, leave
// a selection out.
func skippedBy(dirs ast.DirectiveList, vars map[string]any) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		var on bool
		if a := d.Arguments.ForName("if"); a != nil {
			if v, err := a.Value.Value(vars); err == nil {
				on, _ = v.(bool)
			}
		}
		if (d.Name == "skip") == on {
			return true
		}
	}
	return false
}

// applies reports whether a fragment on cond applies to an object of typeName.
func (e *execution) applies(cond, typeName string) bool {
	if cond == "" || cond == typeName {
		return true
	}
	def := e.schema.AST.Types[cond]
	if def == nil || def.Kind == ast.Object {
		return false
	}
	for _, p := range e.schema.AST.GetPossibleTypes(def) {
		if p.Name == typeName {
			return true
		}
	}
	return false
}

// field resolves one field into out[alias], checking access first as
// Shopify does: the field's own requiredAccess, then its type's.
func (e *execution) field(out obj, typeName string, f *ast.Field, path ast.Path, get getter) bool {
	key := f.Alias
	p := appendPath(path, ast.PathName(key))
	if f.Name == "__typename" {
		out[key] = typeName
		return true
	}
	nullable := f.Definition == nil || !f.Definition.Type.NonNull
	if f.Definition == nil { // the validator annotated every field; stay safe
		out[key] = nil
		return true
	}
	if fa := e.schema.Field(typeName, f.Name); !fa.Requirement.Satisfied(e.granted, e.op.Operation) {
		e.accessDenied(f, p, fa.RequiredAccess)
		out[key] = nil
		return nullable
	}
	named := f.Definition.Type.Name()
	if td := e.schema.AST.Types[named]; td != nil && td.Kind == ast.Object {
		if ta := e.schema.Type(named); !ta.Requirement.Satisfied(e.granted, e.op.Operation) {
			e.accessDenied(f, p, ta.RequiredAccess)
			out[key] = nil
			return nullable
		}
	}
	if strings.HasSuffix(named, "Connection") && f.Definition.Arguments.ForName("first") != nil && f.Definition.Arguments.ForName("last") != nil &&
		f.Arguments.ForName("first") == nil && f.Arguments.ForName("last") == nil {
		// Shopify refuses an unbounded connection.
		e.failAt(f, p, "you must provide one of first or last")
		out[key] = nil
		return nullable
	}
	v, found := get(f)
	if !found {
		e.failAt(f, p, "shopifyfake: %s.%s is in the Admin API but the fake does not resolve it", typeName, f.Name)
		out[key] = nil
		return nullable
	}
	val, ok := e.complete(v, f, f.Definition.Type, p)
	if prev, isObj := out[key].(obj); isObj {
		if next, isObj := val.(obj); isObj { // the same field selected twice: merge
			for k, v := range next {
				prev[k] = v
			}
			return ok
		}
	}
	out[key] = val
	return ok
}

// complete shapes a resolved value as the field's type: lists element by
// element, objects by their selection (checking an abstract type's concrete
// type's access), leaves as they are.
func (e *execution) complete(v any, f *ast.Field, t *ast.Type, path ast.Path) (any, bool) {
	if isNil(v) {
		return nil, !t.NonNull
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			e.failAt(f, path, "shopifyfake: %s resolved to %T, not a list", f.Name, v)
			return nil, !t.NonNull
		}
		out := make([]any, rv.Len())
		for i := range out {
			val, ok := e.complete(rv.Index(i).Interface(), f, t.Elem, appendPath(path, ast.PathIndex(i)))
			if !ok {
				return nil, !t.NonNull
			}
			out[i] = val
		}
		return out, true
	}
	def := e.schema.AST.Types[t.NamedType]
	if def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface && def.Kind != ast.Union) {
		return v, true
	}
	x, ok := v.(obj)
	if !ok {
		e.failAt(f, path, "shopifyfake: %s resolved to %T, not an object", f.Name, v)
		return nil, !t.NonNull
	}
	typeName := t.NamedType
	if def.Kind != ast.Object {
		typeName, _ = x["__typename"].(string)
		if ta := e.schema.Type(typeName); !ta.Requirement.Satisfied(e.granted, e.op.Operation) {
			e.accessDenied(f, path, ta.RequiredAccess)
			return nil, !t.NonNull
		}
	}
	if fake, _ := x["__typename"].(string); fake != "Connection" && fake != "Edge" && fake != "PageInfo" {
		e.objects++
	}
	out := obj{}
	if !e.selectInto(out, typeName, f.SelectionSet, path, func(sf *ast.Field) (any, bool) {
		fv, found := x[sf.Name]
		if !found {
			return nil, false
		}
		if fn, isFn := fv.(fieldFunc); isFn {
			fv = fn(e.args(sf))
		}
		return fv, true
	}) {
		return nil, !t.NonNull
	}
	return out, true
}

// isNil is true for nil and for a nil slice or map held in an interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer:
		return rv.IsNil()
	}
	return false
}

// requestedCost follows Shopify's published calculated query cost
// (shopify.dev/docs/api/usage/rate-limits#cost-calculation and Shopify's
// "Rate limiting GraphQL APIs by calculating query complexity"): scalars and
// enums 0, an object 1, a connection (or a list sized by first/last) 2 plus
// its page size times the cost of one node (its pageInfo in the 2), 10 per
// mutation field. Page sizes given as variables count at the variables'
// values, fields left out by @skip/@include cost nothing, and fragments count
// as their fields do (all of them: an upper bound of "the maximum of possible
// selections"). Shopify's own formula is closed and scales connections
// logarithmically (its staff on community.shopify.dev): real requested costs
// are lower, so an app paced by these never asks for more than Shopify grants.
func requestedCost(op *ast.OperationDefinition, vars map[string]any, fragments ast.FragmentDefinitionList) int {
	if op.Operation == ast.Mutation {
		n := 0
		for _, s := range op.SelectionSet {
			if f, ok := s.(*ast.Field); ok && !skippedBy(f.Directives, vars) {
				n += 10
			}
		}
		return n
	}
	c := costing{vars: vars, fragments: fragments}
	return max(1, c.selection(op.SelectionSet, 0))
}

type costing struct {
	vars      map[string]any
	fragments ast.FragmentDefinitionList
}

func (c costing) selection(sel ast.SelectionSet, depth int) int {
	if depth > 50 { // a fragment cycle; the validator refuses those anyway
		return 0
	}
	total := 0
	for _, s := range sel {
		switch x := s.(type) {
		case *ast.InlineFragment:
			if !skippedBy(x.Directives, c.vars) {
				total += c.selection(x.SelectionSet, depth+1)
			}
		case *ast.FragmentSpread:
			if def := c.fragments.ForName(x.Name); def != nil && !skippedBy(x.Directives, c.vars) {
				total += c.selection(def.SelectionSet, depth+1)
			}
		case *ast.Field:
			if len(x.SelectionSet) == 0 || skippedBy(x.Directives, c.vars) {
				continue
			}
			page := 0
			for _, a := range x.Arguments {
				if a.Name == "first" || a.Name == "last" {
					page = 10 // not given: assume a modest page
					if v, err := a.Value.Value(c.vars); err == nil {
						if n, ok := toInt(v); ok {
							page = n
						}
					}
				}
			}
			switch x.Name {
			case "pageInfo":
				// Part of its connection's 2 points, not one per node.
			case "edges", "nodes", "node":
				total += c.selection(x.SelectionSet, depth+1) // counted by the connection
			default:
				if page > 0 {
					total += 2 + page*max(1, c.selection(x.SelectionSet, depth+1))
				} else {
					total += 1 + c.selection(x.SelectionSet, depth+1)
				}
			}
		}
	}
	return total
}

// RequestedCost is the requested cost the fake charges for a document with
// these variables, after validating it against the Admin API schema as the
// fake's endpoint does: for tests that bound what a call may ask for.
func RequestedCost(query string, vars map[string]any) (int, error) {
	schema, err := adminschema.Load()
	if err != nil {
		return 0, err
	}
	doc, errs := schema.Validate(query)
	if errs != nil {
		return 0, errs
	}
	if len(doc.Operations) != 1 {
		return 0, fmt.Errorf("shopifyfake: the document has %d operations, want 1", len(doc.Operations))
	}
	op := doc.Operations[0]
	coerced, err := schema.VariableValues(op, vars)
	if err != nil {
		return 0, err
	}
	return requestedCost(op, coerced, doc.Fragments), nil
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
