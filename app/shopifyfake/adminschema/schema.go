// Package adminschema is Shopify's GraphQL Admin API schema, version
// 2026-10, as Shopify publishes it: the types and fields Waybill's queries
// are validated against, and the access each one requires (the access
// scopes of requiredAccess, and whether it is protected customer data).
//
// It is for tests and the fake store only: the waybill binary must not
// import it (binary_test.go at the repository root checks).
//
// The schema file is admin_2026-10.json.gz, copied unchanged from the npm
// package @shopify/dev-mcp@1.16.0 (package/dist/data/admin_2026-10.json.gz;
// the tarball's sha512 matched the registry's dist.integrity, the file's
// sha256 is f3b522f264556925eada700e795e4a002a9cba83444ebcc6c0d724254a0c6593).
// It is an introspection result ({"data":{"__schema":…}}) whose types and
// fields carry Shopify's extra keys: requiredAccess, isProtected,
// protectedSubject, protectedContent, accessRestricted. To move to a newer
// API version, take the matching file from a newer @shopify/dev-mcp.
package adminschema

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Version is the Admin API version of the embedded schema.
const Version = "2026-10"

//go:embed admin_2026-10.json.gz
var embedded []byte

// Schema is the Admin API schema and what its types and fields require.
type Schema struct {
	// AST is the schema for gqlparser's validator.
	AST    *ast.Schema
	types  map[string]Access
	fields map[string]Field
	// topics: each WebhookSubscriptionTopic value → the scopes subscribing
	// to it requires (any one of them; none: nothing)
	topics map[string][]string
}

// Access is what Shopify requires to read a type or field.
type Access struct {
	// RequiredAccess is Shopify's own sentence ("`read_orders` access
	// scope…"), empty when nothing is required.
	RequiredAccess string
	// Requirement is the sentence read as access scopes.
	Requirement Requirement
	// AccessRestricted marks what Shopify opens only to some apps.
	AccessRestricted bool
}

// Field is one field's access and protected customer data flags.
type Field struct {
	Access
	// IsProtected is true for protected customer data (names, emails,
	// phones, addresses): reading it needs Shopify's approval of the app.
	IsProtected      bool
	ProtectedSubject string // e.g. "customer"
	ProtectedContent string // e.g. "email", "name"
}

var (
	loadOnce sync.Once
	loaded   *Schema
	loadErr  error
)

// Load returns the embedded 2026-10 schema, parsed once per process.
func Load() (*Schema, error) {
	loadOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(embedded))
		if err != nil {
			loadErr = fmt.Errorf("adminschema: %w", err)
			return
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			loadErr = fmt.Errorf("adminschema: %w", err)
			return
		}
		loaded, loadErr = Parse(raw)
	})
	return loaded, loadErr
}

// MustLoad is Load for callers that cannot go on without the schema: the
// file is embedded, so an error is a broken build.
func MustLoad() *Schema {
	s, err := Load()
	if err != nil {
		panic(err)
	}
	return s
}

// Type returns the access a type requires.
func (s *Schema) Type(name string) Access { return s.types[name] }

// WebhookTopic returns the access scopes subscribing to a webhook topic
// requires — any one of them; none when the topic needs no scope — as the
// description of its WebhookSubscriptionTopic value says ("Requires the
// `read_fulfillments` scope.", "Requires at least one of the following
// scopes: read_orders, read_marketplace_orders."). ok is false for a value
// the schema does not have.
func (s *Schema) WebhookTopic(enum string) (anyOf []string, ok bool) {
	anyOf, ok = s.topics[enum]
	return anyOf, ok
}

var (
	topicOneScope  = regexp.MustCompile("Requires\\s+the\\s+`([a-z_]+)`\\s+scope")
	topicAnyScopes = regexp.MustCompile(`Requires\s+at\s+least\s+one\s+of\s+the\s+following\s+scopes:\s*([a-z_]+(?:,\s*[a-z_]+)*)`)
)

func topicScopes(desc string) []string {
	if m := topicOneScope.FindStringSubmatch(desc); m != nil {
		return []string{m[1]}
	}
	if m := topicAnyScopes.FindStringSubmatch(desc); m != nil {
		var out []string
		for _, sc := range strings.Split(m[1], ",") {
			out = append(out, strings.TrimSpace(sc))
		}
		return out
	}
	return []string{}
}

// Field returns what the field typeName.field requires.
func (s *Schema) Field(typeName, field string) Field { return s.fields[typeName+"."+field] }

// introspection types: what the file holds, Shopify's keys included.
type (
	ispSchema struct {
		QueryType        *ispName       `json:"queryType"`
		MutationType     *ispName       `json:"mutationType"`
		SubscriptionType *ispName       `json:"subscriptionType"`
		Types            []ispType      `json:"types"`
		Directives       []ispDirective `json:"directives"`
	}
	ispName struct {
		Name string `json:"name"`
	}
	ispType struct {
		Kind             string       `json:"kind"`
		Name             string       `json:"name"`
		Fields           []ispField   `json:"fields"`
		InputFields      []ispInput   `json:"inputFields"`
		Interfaces       []ispTypeRef `json:"interfaces"`
		EnumValues       []ispEnum    `json:"enumValues"`
		PossibleTypes    []ispTypeRef `json:"possibleTypes"`
		IsOneOf          bool         `json:"isOneOf"`
		SpecifiedByURL   *string      `json:"specifiedByURL"`
		RequiredAccess   *string      `json:"requiredAccess"`
		AccessRestricted bool         `json:"accessRestricted"`
	}
	ispField struct {
		Name              string     `json:"name"`
		Args              []ispInput `json:"args"`
		Type              ispTypeRef `json:"type"`
		IsDeprecated      bool       `json:"isDeprecated"`
		DeprecationReason *string    `json:"deprecationReason"`
		RequiredAccess    *string    `json:"requiredAccess"`
		AccessRestricted  bool       `json:"accessRestricted"`
		IsProtected       bool       `json:"isProtected"`
		ProtectedSubject  *string    `json:"protectedSubject"`
		ProtectedContent  *string    `json:"protectedContent"`
	}
	ispInput struct {
		Name              string     `json:"name"`
		Type              ispTypeRef `json:"type"`
		DefaultValue      *string    `json:"defaultValue"`
		IsDeprecated      bool       `json:"isDeprecated"`
		DeprecationReason *string    `json:"deprecationReason"`
	}
	ispEnum struct {
		Name              string  `json:"name"`
		Description       *string `json:"description"`
		IsDeprecated      bool    `json:"isDeprecated"`
		DeprecationReason *string `json:"deprecationReason"`
	}
	ispTypeRef struct {
		Kind   string      `json:"kind"`
		Name   string      `json:"name"`
		OfType *ispTypeRef `json:"ofType"`
	}
	ispDirective struct {
		Name         string     `json:"name"`
		Locations    []string   `json:"locations"`
		Args         []ispInput `json:"args"`
		IsRepeatable bool       `json:"isRepeatable"`
	}
)

// Parse reads an introspection result ({"data":{"__schema":…}} or the bare
// {"__schema":…}) with Shopify's access keys. It writes the schema as SDL
// (leaving out what gqlparser's prelude already declares) and loads it with
// gqlparser, which validates it.
func Parse(introspection []byte) (*Schema, error) {
	var doc struct {
		Data struct {
			Schema *ispSchema `json:"__schema"`
		} `json:"data"`
		Schema *ispSchema `json:"__schema"`
	}
	if err := json.Unmarshal(introspection, &doc); err != nil {
		return nil, fmt.Errorf("adminschema: the introspection is not JSON: %w", err)
	}
	isp := doc.Data.Schema
	if isp == nil {
		isp = doc.Schema
	}
	if isp == nil || isp.QueryType == nil {
		return nil, fmt.Errorf("adminschema: no __schema with a query type in the introspection")
	}
	sdl, err := writeSDL(isp)
	if err != nil {
		return nil, err
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "admin_" + Version + ".graphql", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("adminschema: the schema does not load: %w", err)
	}
	s := &Schema{AST: schema, types: map[string]Access{}, fields: map[string]Field{}, topics: map[string][]string{}}
	requirements := map[string]Requirement{} // the same sentences repeat thousands of times
	access := func(text *string, restricted bool) Access {
		a := Access{AccessRestricted: restricted}
		if text != nil && strings.TrimSpace(*text) != "" {
			a.RequiredAccess = *text
			r, ok := requirements[*text]
			if !ok {
				r = ParseRequirement(*text)
				requirements[*text] = r
			}
			a.Requirement = r
		}
		return a
	}
	for _, t := range isp.Types {
		if t.Name == "WebhookSubscriptionTopic" {
			for _, v := range t.EnumValues {
				desc := ""
				if v.Description != nil {
					desc = *v.Description
				}
				s.topics[v.Name] = topicScopes(desc)
			}
		}
		if a := access(t.RequiredAccess, t.AccessRestricted); a.RequiredAccess != "" || a.AccessRestricted {
			s.types[t.Name] = a
		}
		for _, f := range t.Fields {
			fi := Field{Access: access(f.RequiredAccess, f.AccessRestricted), IsProtected: f.IsProtected}
			if f.ProtectedSubject != nil {
				fi.ProtectedSubject = *f.ProtectedSubject
			}
			if f.ProtectedContent != nil {
				fi.ProtectedContent = *f.ProtectedContent
			}
			if fi.RequiredAccess != "" || fi.AccessRestricted || fi.IsProtected {
				s.fields[t.Name+"."+f.Name] = fi
			}
		}
	}
	return s, nil
}

// builtIn lists what gqlparser's prelude declares: the spec's scalars,
// directives and introspection types, which the SDL must not repeat.
var builtIn = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	prelude := validator.PreludeDocument()
	for _, d := range prelude.Definitions {
		names["type "+d.Name] = true
	}
	for _, d := range prelude.Directives {
		names["directive "+d.Name] = true
	}
	return names
})

func writeSDL(isp *ispSchema) (string, error) {
	var b strings.Builder
	b.WriteString("schema {\n  query: " + isp.QueryType.Name + "\n")
	if isp.MutationType != nil {
		b.WriteString("  mutation: " + isp.MutationType.Name + "\n")
	}
	if isp.SubscriptionType != nil {
		b.WriteString("  subscription: " + isp.SubscriptionType.Name + "\n")
	}
	b.WriteString("}\n")
	for _, d := range isp.Directives {
		if builtIn()["directive "+d.Name] {
			continue
		}
		b.WriteString("directive @" + d.Name)
		writeInputs(&b, d.Args, "(", ")")
		if d.IsRepeatable {
			b.WriteString(" repeatable")
		}
		b.WriteString(" on " + strings.Join(d.Locations, " | ") + "\n")
	}
	for _, t := range isp.Types {
		if builtIn()["type "+t.Name] {
			continue
		}
		switch t.Kind {
		case "SCALAR":
			b.WriteString("scalar " + t.Name)
			if t.SpecifiedByURL != nil && *t.SpecifiedByURL != "" {
				b.WriteString(" @specifiedBy(url: " + graphQLString(*t.SpecifiedByURL) + ")")
			}
			b.WriteString("\n")
		case "ENUM":
			b.WriteString("enum " + t.Name + " {\n")
			for _, v := range t.EnumValues {
				b.WriteString("  " + v.Name + deprecated(v.IsDeprecated, v.DeprecationReason) + "\n")
			}
			b.WriteString("}\n")
		case "INPUT_OBJECT":
			b.WriteString("input " + t.Name)
			if t.IsOneOf {
				b.WriteString(" @oneOf")
			}
			writeInputs(&b, t.InputFields, " {\n", "}\n")
		case "OBJECT", "INTERFACE":
			if t.Kind == "OBJECT" {
				b.WriteString("type " + t.Name)
			} else {
				b.WriteString("interface " + t.Name)
			}
			for i, in := range t.Interfaces {
				if i == 0 {
					b.WriteString(" implements ")
				} else {
					b.WriteString(" & ")
				}
				b.WriteString(in.Name)
			}
			b.WriteString(" {\n")
			for _, f := range t.Fields {
				b.WriteString("  " + f.Name)
				writeInputs(&b, f.Args, "(", ")")
				b.WriteString(": " + typeRef(f.Type) + deprecated(f.IsDeprecated, f.DeprecationReason) + "\n")
			}
			b.WriteString("}\n")
		case "UNION":
			members := make([]string, len(t.PossibleTypes))
			for i, p := range t.PossibleTypes {
				members[i] = p.Name
			}
			b.WriteString("union " + t.Name + " = " + strings.Join(members, " | ") + "\n")
		default:
			return "", fmt.Errorf("adminschema: type %s has kind %q", t.Name, t.Kind)
		}
	}
	return b.String(), nil
}

// writeInputs writes arguments or input fields, with their defaults (the
// introspection gives them as GraphQL literals already).
func writeInputs(b *strings.Builder, inputs []ispInput, open, close string) {
	if len(inputs) == 0 {
		if open == " {\n" { // an input object with no fields cannot be written
			b.WriteString(open + close)
		}
		return
	}
	b.WriteString(open)
	for i, in := range inputs {
		if open == "(" && i > 0 {
			b.WriteString(", ")
		}
		if open == " {\n" {
			b.WriteString("  ")
		}
		b.WriteString(in.Name + ": " + typeRef(in.Type))
		if in.DefaultValue != nil {
			b.WriteString(" = " + *in.DefaultValue)
		}
		b.WriteString(deprecated(in.IsDeprecated, in.DeprecationReason))
		if open == " {\n" {
			b.WriteString("\n")
		}
	}
	b.WriteString(close)
}

func typeRef(t ispTypeRef) string {
	switch t.Kind {
	case "NON_NULL":
		if t.OfType != nil {
			return typeRef(*t.OfType) + "!"
		}
	case "LIST":
		if t.OfType != nil {
			return "[" + typeRef(*t.OfType) + "]"
		}
	}
	return t.Name
}

func deprecated(is bool, reason *string) string {
	if !is {
		return ""
	}
	if reason == nil {
		return " @deprecated"
	}
	return " @deprecated(reason: " + graphQLString(*reason) + ")"
}

// graphQLString quotes s as a GraphQL string: JSON's escapes are a subset
// of GraphQL's.
func graphQLString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		// A Go string always encodes (invalid UTF-8 becomes U+FFFD).
		panic("adminschema: quoting a string: " + err.Error())
	}
	return string(b)
}

// Validate parses and validates a GraphQL document against the schema, with
// gqlparser's standard rules (the spec's).
func (s *Schema) Validate(query string) (*ast.QueryDocument, gqlerror.List) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		if gerr, ok := err.(*gqlerror.Error); ok {
			return nil, gqlerror.List{gerr}
		}
		return nil, gqlerror.List{gqlerror.Wrap(err)}
	}
	if errs := validator.ValidateWithRules(s.AST, doc, nil); len(errs) > 0 {
		return doc, errs
	}
	return doc, nil
}

// Operation picks the operation a request runs: the named one, or the only one.
func Operation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	if name != "" {
		return doc.Operations.ForName(name)
	}
	if len(doc.Operations) == 1 {
		return doc.Operations[0]
	}
	return nil
}

// VariableValues coerces and checks a request's variables against the
// operation's definitions like gqlparser's validator.VariableValues, and
// then as strictly as Shopify's server where gqlparser is lenient: enum
// values must match in case, and a @oneOf input object takes exactly one
// non-null field. The error names the variable and the path inside it.
func (s *Schema) VariableValues(op *ast.OperationDefinition, vars map[string]any) (map[string]any, error) {
	coerced, err := validator.VariableValues(s.AST, op, vars)
	if err != nil {
		return nil, err
	}
	for _, d := range op.VariableDefinitions {
		v, ok := coerced[d.Variable]
		if !ok {
			continue
		}
		if err := s.strictValue(d.Type, v, ast.Path{ast.PathName("variable"), ast.PathName(d.Variable)}); err != nil {
			return nil, err
		}
	}
	return coerced, nil
}

func (s *Schema) strictValue(t *ast.Type, v any, path ast.Path) error {
	if v == nil {
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return s.strictValue(t.Elem, v, path) // a single value stands for a list of one
		}
		for i, item := range list {
			if err := s.strictValue(t.Elem, item, append(append(ast.Path{}, path...), ast.PathIndex(i))); err != nil {
				return err
			}
		}
		return nil
	}
	def := s.AST.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		str, _ := v.(string)
		if def.EnumValues.ForName(str) == nil {
			return gqlerror.ErrorPathf(path, "%s is not a valid %s", str, def.Name)
		}
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if def.Directives.ForName("oneOf") != nil {
			set := 0
			for _, fv := range m {
				if fv != nil {
					set++
				}
			}
			if set != 1 || len(m) != 1 {
				return gqlerror.ErrorPathf(path, "OneOf Input Object %s must specify exactly one key", def.Name)
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if f := def.Fields.ForName(k); f != nil {
				if err := s.strictValue(f.Type, m[k], append(append(ast.Path{}, path...), ast.PathName(k))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
