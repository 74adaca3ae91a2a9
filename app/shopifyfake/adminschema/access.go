package adminschema

import (
	"regexp"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Scopes is a set of granted access scopes.
type Scopes map[string]bool

// ParseScopes reads a scope list as Shopify writes it: comma separated
// (spaces tolerated).
func ParseScopes(list string) Scopes {
	s := Scopes{}
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		s[f] = true
	}
	return s
}

// Has reports whether the scopes grant scope. "Any scope that writes a
// resource also grants read access to it" (Shopify's access scopes page):
// write_X grants read_X.
func (s Scopes) Has(scope string) bool {
	if s[scope] {
		return true
	}
	if rest, ok := strings.CutPrefix(scope, "read_"); ok {
		return s["write_"+rest]
	}
	return false
}

// String lists the scopes sorted, comma separated.
func (s Scopes) String() string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// Requirement is a requiredAccess sentence read as access scopes: every
// clause must be met, a clause by any one of its scopes. Queries and
// mutations may differ ("`read_markets` for queries and both `read_markets`
// as well as `write_markets` for mutations").
//
// Only the part before "Also:" counts: what follows is about the staff
// member's permissions or the shop's plan, which do not apply to an app's
// offline token or cannot be judged from scopes. A sentence that names no
// access scope at all (a shop feature, a user permission, "access to
// checkout branding settings…") is not checkable and counts as met; Unparsed
// says so.
type Requirement struct {
	Query    [][]string
	Mutation [][]string
	// Unparsed is true when the sentence names no access scope.
	Unparsed bool
}

var (
	backticked   = regexp.MustCompile("`([^`]+)`")
	forQueries   = regexp.MustCompile(`^(.*?)\s+for queries and\s+(.*?)\s+for mutations`)
	conjunctions = regexp.MustCompile(`\s+as well as\s+|\s+and\s+\(`)
	scopeToken   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// a token followed by "permission" (or "user permission") names a staff
	// permission, not an access scope
	permissionAfter = regexp.MustCompile(`^\s+(user\s+)?permissions?\b`)
)

// ParseRequirement reads one requiredAccess sentence. The forms found in
// the 2026-10 schema: "`a` access scope.", "`a` access scope or `b` access
// scope.", "`a` access scope, `b` access scope or `c` access scope.",
// "Apps must have `a` access scope.", "Requires `a` or `b` access scope.",
// "the `a` or `b` scope.", "Any of `orders` or `shipping` access scopes or
// `manage_delivery_settings` user permission." (a bare resource name means
// its read scope; the user permission is left out), "`a` access scope as
// well as any of `b`, `c` access scopes." and "`a` access scope and (`b`
// access scope or `c` access scope)." (a and one of b, c), and the
// queries/mutations form above.
func ParseRequirement(text string) Requirement {
	main, _, _ := strings.Cut(text, "Also:")
	if m := forQueries.FindStringSubmatch(main); m != nil {
		q, mu := clauses(m[1]), clauses(strings.TrimPrefix(strings.TrimSpace(m[2]), "both "))
		return Requirement{Query: q, Mutation: mu, Unparsed: len(q) == 0 && len(mu) == 0}
	}
	c := clauses(main)
	return Requirement{Query: c, Mutation: c, Unparsed: len(c) == 0}
}

// clauses splits a sentence at its conjunctions; each part's scopes are
// alternatives.
func clauses(text string) [][]string {
	var out [][]string
	for _, part := range conjunctions.Split(text, -1) {
		var alts []string
		for _, loc := range backticked.FindAllStringSubmatchIndex(part, -1) {
			tok := part[loc[2]:loc[3]]
			if !scopeToken.MatchString(tok) || permissionAfter.MatchString(part[loc[1]:]) {
				continue
			}
			if !strings.HasPrefix(tok, "read_") && !strings.HasPrefix(tok, "write_") {
				tok = "read_" + tok // "`orders` access scopes": the resource, read
			}
			alts = append(alts, tok)
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

// Clauses returns the clauses that apply to an operation of this kind.
func (r Requirement) Clauses(op ast.Operation) [][]string {
	if op == ast.Mutation {
		return r.Mutation
	}
	return r.Query
}

// Satisfied reports whether the granted scopes meet the requirement in an
// operation of this kind (write_X counting as read_X).
func (r Requirement) Satisfied(granted Scopes, op ast.Operation) bool {
	for _, clause := range r.Clauses(op) {
		ok := false
		for _, scope := range clause {
			if granted.Has(scope) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Selected is one field an operation selects (or one fragment type it
// selects on), with what reading it requires.
type Selected struct {
	// Path is the response keys (aliases) from the root; list positions
	// are not known statically.
	Path []string
	// Coordinate is "Type.field", or "... on Type" for a fragment whose
	// type differs from where it is spread.
	Coordinate string
	// Type is the field's named type (or the fragment's type).
	Type     string
	Position *ast.Position
	// Field is the field's own access and protection (zero for a fragment).
	Field Field
	// TypeAccess is what Type requires.
	TypeAccess Access
}

// Selections lists every field the operation selects, through nested
// selections, fragment spreads and inline fragments, root fields included.
// The document must have passed Validate (the walk reads the definitions
// the validator attached).
func (s *Schema) Selections(doc *ast.QueryDocument, op *ast.OperationDefinition) []Selected {
	var out []Selected
	var walk func(sel ast.SelectionSet, parent string, path []string, depth int)
	walk = func(sel ast.SelectionSet, parent string, path []string, depth int) {
		if depth > 64 { // validated documents have no fragment cycles; stay safe anyway
			return
		}
		for _, x := range sel {
			switch f := x.(type) {
			case *ast.Field:
				if strings.HasPrefix(f.Name, "__") || f.Definition == nil {
					continue
				}
				owner := parent
				if f.ObjectDefinition != nil {
					owner = f.ObjectDefinition.Name
				}
				named := f.Definition.Type.Name()
				p := append(append([]string{}, path...), f.Alias)
				out = append(out, Selected{Path: p, Coordinate: owner + "." + f.Name, Type: named, Position: f.Position,
					Field: s.Field(owner, f.Name), TypeAccess: s.Type(named)})
				walk(f.SelectionSet, named, p, depth+1)
			case *ast.InlineFragment:
				s.fragment(f.TypeCondition, parent, path, f.Position, &out)
				cond := f.TypeCondition
				if cond == "" {
					cond = parent
				}
				walk(f.SelectionSet, cond, path, depth+1)
			case *ast.FragmentSpread:
				def := f.Definition
				if def == nil {
					def = doc.Fragments.ForName(f.Name)
				}
				if def == nil {
					continue
				}
				s.fragment(def.TypeCondition, parent, path, f.Position, &out)
				walk(def.SelectionSet, def.TypeCondition, path, depth+1)
			}
		}
	}
	root := "QueryRoot"
	switch op.Operation {
	case ast.Mutation:
		if s.AST.Mutation != nil {
			root = s.AST.Mutation.Name
		}
	default:
		if s.AST.Query != nil {
			root = s.AST.Query.Name
		}
	}
	walk(op.SelectionSet, root, nil, 0)
	return out
}

// fragment records a fragment on another type than its parent: the objects
// it applies to are of that type, and Shopify checks that type's access.
func (s *Schema) fragment(cond, parent string, path []string, pos *ast.Position, out *[]Selected) {
	if cond == "" || cond == parent {
		return
	}
	*out = append(*out, Selected{Path: append([]string{}, path...), Coordinate: "... on " + cond, Type: cond,
		Position: pos, TypeAccess: s.Type(cond)})
}

// Denial is a selected field (or fragment type) the granted scopes do not
// give access to.
type Denial struct {
	Selected
	// RequiredAccess is the unmet sentence: the field's own, or its type's.
	RequiredAccess string
	// OnType is true when the field's type (not the field itself) is what
	// is restricted.
	OnType bool
}

// Denials lists every selection whose requiredAccess the granted scopes do
// not satisfy, in document order.
func (s *Schema) Denials(doc *ast.QueryDocument, op *ast.OperationDefinition, granted Scopes) []Denial {
	var out []Denial
	for _, sel := range s.Selections(doc, op) {
		if !sel.Field.Requirement.Satisfied(granted, op.Operation) {
			out = append(out, Denial{Selected: sel, RequiredAccess: sel.Field.RequiredAccess})
		}
		if !sel.TypeAccess.Requirement.Satisfied(granted, op.Operation) {
			out = append(out, Denial{Selected: sel, RequiredAccess: sel.TypeAccess.RequiredAccess, OnType: true})
		}
	}
	return out
}

// ProtectedRead is a protected customer data field an operation reads.
type ProtectedRead struct {
	Coordinate string // "Order.email"
	Subject    string // "customer"
	Content    string // "email"
}

// ProtectedFields lists the protected customer data fields the operation
// reads, each once, sorted by coordinate.
func (s *Schema) ProtectedFields(doc *ast.QueryDocument, op *ast.OperationDefinition) []ProtectedRead {
	seen := map[string]bool{}
	var out []ProtectedRead
	for _, sel := range s.Selections(doc, op) {
		if sel.Field.IsProtected && !seen[sel.Coordinate] {
			seen[sel.Coordinate] = true
			out = append(out, ProtectedRead{Coordinate: sel.Coordinate, Subject: sel.Field.ProtectedSubject, Content: sel.Field.ProtectedContent})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Coordinate < out[j].Coordinate })
	return out
}
