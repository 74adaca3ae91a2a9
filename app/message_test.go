package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Every message code the backend writes has the admin's words, in English
// and in Spanish (frontend/src/locales/messages.ts): a code without them
// would reach the merchant as a raw value.
func TestEveryMessageCodeHasWords(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "message.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	words, err := os.ReadFile("../frontend/src/locales/messages.ts")
	if err != nil {
		t.Fatal(err)
	}
	codes := 0
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || !strings.HasPrefix(spec.Names[0].Name, "Msg") || len(spec.Values) != 1 {
			return true
		}
		lit, ok := spec.Values[0].(*ast.BasicLit)
		if !ok {
			return true
		}
		code, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		codes++
		if n := strings.Count(string(words), `"messages.`+code+`":`); n != 2 {
			t.Errorf("code %s (%s) has words in %d languages, want en and es", code, spec.Names[0].Name, n)
		}
		return true
	})
	if codes < 30 {
		t.Fatalf("only %d codes found in message.go", codes)
	}
}
