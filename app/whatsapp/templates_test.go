package whatsapp

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/waybill-app/waybill/app"
)

func TestDefinitionsCoverEveryTextEventInEsAndEn(t *testing.T) {
	defs := Definitions("https://track.example.com/t/")
	seen := map[string]bool{}
	for _, d := range defs {
		seen[string(d.Event)+"/"+d.Language] = true
		if d.Name != "waybill_"+string(d.Event) {
			t.Errorf("%s: name %q", d.Event, d.Name)
		}
	}
	for _, e := range app.TextEvents {
		for _, l := range []string{"es", "en"} {
			if !seen[string(e)+"/"+l] {
				t.Errorf("no template for %s in %s", e, l)
			}
		}
	}
	if len(defs) != 2*len(app.TextEvents) {
		t.Errorf("%d definitions, want %d", len(defs), 2*len(app.TextEvents))
	}
}

func TestDefinitionsFollowMetasTemplateRules(t *testing.T) {
	for _, d := range Definitions("https://track.example.com/t/") {
		id := d.Name + "/" + d.Language
		n, ok := BodyVars(d.Body)
		if !ok || n != len(d.Example) {
			t.Errorf("%s: %d variables (in order: %v), %d examples", id, n, ok, len(d.Example))
		}
		if p := Params(d.Event, "#1", "Carrier", "TN1"); len(p) != n {
			t.Errorf("%s: Params gives %d values for %d variables", id, len(p), n)
		}
		body := strings.TrimSpace(d.Body)
		if strings.HasPrefix(body, "{{") || strings.HasSuffix(body, "}}") {
			t.Errorf("%s: the body starts or ends with a variable", id)
		}
		if strings.Contains(d.Body, "}}{{") || strings.Contains(d.Body, "}} {{") {
			t.Errorf("%s: two variables touch", id)
		}
		if utf8.RuneCountInString(d.Body) > 1024 || strings.Contains(d.Body, "\n") {
			t.Errorf("%s: body too long or has a newline", id)
		}
		rendered := Body(d, d.Example)
		if strings.Contains(rendered, "{{") || strings.Contains(rendered, "}}") {
			t.Errorf("%s: leftover variable in %q", id, rendered)
		}
		for _, ex := range d.Example {
			if !strings.Contains(rendered, ex) {
				t.Errorf("%s: example %q not in %q", id, ex, rendered)
			}
		}
		if utf8.RuneCountInString(d.ButtonText) > 25 || d.ButtonText == "" {
			t.Errorf("%s: button text %q", id, d.ButtonText)
		}
		if !strings.HasSuffix(d.ButtonURL, "{{1}}") || d.ButtonURL != "https://track.example.com/t/{{1}}" ||
			d.ButtonExample != "https://track.example.com/t/"+ButtonExampleToken {
			t.Errorf("%s: button %q example %q", id, d.ButtonURL, d.ButtonExample)
		}
		spanish := strings.Contains(strings.ToLower(d.Body), "tu pedido")
		if (d.Language == "es") != spanish {
			t.Errorf("%s: body in the wrong language: %q", id, d.Body)
		}
		if d.Language == "es" && (strings.Contains(d.Body, "vosotros") || strings.Contains(d.Body, "ustedes") || strings.Contains(d.Body, "se ha ")) {
			t.Errorf("%s: not neutral Spanish: %q", id, d.Body)
		}
	}
}

func TestBodyLeavesMissingVariablesVisible(t *testing.T) {
	d := app.TemplateDefinition{Body: "Tu pedido {{1}} va con {{2}} hoy."}
	if got := Body(d, []string{"#7"}); got != "Tu pedido #7 va con {{2}} hoy." {
		t.Fatalf("%q", got)
	}
	if got := Body(d, []string{"#7", ""}); got != "Tu pedido #7 va con - hoy." {
		t.Fatalf("%q", got)
	}
	if n, ok := BodyVars("a {{1}} b {{3}} c"); ok || n != 3 {
		t.Fatalf("a gap passed: %d %v", n, ok)
	}
}
