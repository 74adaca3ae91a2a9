package whatsapp

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// Waybill's WhatsApp templates: one UTILITY template per event of
// app.TextEvents and language (es, en), named waybill_<event>.
//
// Body variables, in this order, always from the order and its shipment
// (never the customer's name, which an order may lack — a template must
// not read "Hola ," — and which Meta's review frowns on as a leading
// variable):
//
//	{{1}} the order's name ("#1001")
//	{{2}} the carrier's name ("Correos")
//	{{3}} the tracking number
//
// delivered and delayed use {{1}} only, delivery_exception {{1}} and {{2}}:
// Params gives each event's list. Meta's rules followed: a body neither
// starts nor ends with a variable, no two variables touch, every variable
// has an example, wording is transactional (no offers, no marketing). The
// URL button opens the tracking page: its {{1}} is the page's token path
// (Text.ButtonParam), appended to the tracking base URL.
//
// The Spanish is neutral for Spain and Latin America: "tu pedido", no
// vosotros/ustedes, no pretérito perfecto ("ya está entregado", not "se ha
// entregado"), "problema" rather than "incidencia".

// Var is what a template variable carries.
type Var int

const (
	VarOrder Var = iota + 1
	VarCarrier
	VarTracking
)

type templateText struct {
	vars   []Var
	es, en string
}

var templateTexts = map[app.NotificationEvent]templateText{
	app.NotifyShipped: {vars: []Var{VarOrder, VarCarrier, VarTracking},
		es: "Tu pedido {{1}} ya está en camino con {{2}}. Número de seguimiento: {{3}}. Puedes seguir el envío en el enlace de abajo.",
		en: "Your order {{1}} is on its way with {{2}}. Tracking number: {{3}}. You can follow the shipment with the link below."},
	app.NotifyOutForDelivery: {vars: []Var{VarOrder, VarCarrier, VarTracking},
		es: "Tu pedido {{1}} está en ruta de entrega con {{2}} y llegará hoy (seguimiento {{3}}). Ten el teléfono a mano por si el repartidor necesita contactarte.",
		en: "Your order {{1}} is out for delivery with {{2}} and arrives today (tracking {{3}}). Keep your phone nearby in case the driver needs to reach you."},
	app.NotifyAttemptedDelivery: {vars: []Var{VarOrder, VarCarrier, VarTracking},
		es: "No se pudo entregar tu pedido {{1}}: {{2}} intentó la entrega sin éxito (seguimiento {{3}}). En el enlace de abajo verás los próximos pasos.",
		en: "Your order {{1}} could not be delivered: {{2}} attempted delivery without success (tracking {{3}}). The link below shows the next steps."},
	app.NotifyReadyForPickup: {vars: []Var{VarOrder, VarCarrier, VarTracking},
		es: "Tu pedido {{1}} ya se puede recoger en el punto de {{2}} (seguimiento {{3}}). En el enlace de abajo tienes los detalles.",
		en: "Your order {{1}} is ready for pickup at the {{2}} pickup point (tracking {{3}}). The link below has the details."},
	app.NotifyDelivered: {vars: []Var{VarOrder},
		es: "Tu pedido {{1}} ya está entregado. Gracias por tu compra. Si algo no está bien con la entrega, en el enlace de abajo verás cómo avisarnos.",
		en: "Your order {{1}} has been delivered. Thank you for your order. If anything is wrong with the delivery, the link below shows how to tell us."},
	app.NotifyDeliveryException: {vars: []Var{VarOrder, VarCarrier},
		es: "Tu pedido {{1}} tiene un problema de entrega informado por {{2}}. En el enlace de abajo puedes ver el detalle y qué hacer.",
		en: "Your order {{1}} has a delivery problem reported by {{2}}. The link below shows the details and what to do."},
	app.NotifyDelayed: {vars: []Var{VarOrder},
		es: "Tu pedido {{1}} va con retraso. Seguimos pendientes del envío y en el enlace de abajo verás la nueva fecha estimada en cuanto esté disponible.",
		en: "Your order {{1}} is running late. We are keeping an eye on the shipment, and the link below shows the new estimated date as soon as there is one."},
}

// TemplateLanguages are the languages Waybill's templates exist in
// (Meta's codes).
var TemplateLanguages = []string{"es", "en"}

// TemplateName is the template of an event: waybill_<event>.
func TemplateName(e app.NotificationEvent) string { return TemplatePrefix + string(e) }

var examples = map[string]map[Var]string{
	"es": {VarOrder: "#1001", VarCarrier: "Correos", VarTracking: "PK4F2A0123456780128001X"},
	"en": {VarOrder: "#1001", VarCarrier: "UPS", VarTracking: "1Z999AA10123456784"},
}

// ButtonExampleToken is the example tracking-page token sent for review.
const ButtonExampleToken = "a1b2c3d4e5"

// Definitions are Waybill's templates for every text event in es and en;
// trackingBaseURL is the tracking page's URL up to the token
// ("https://track.example.com/t/"), the button's URL being it + "{{1}}".
func Definitions(trackingBaseURL string) []app.TemplateDefinition {
	var out []app.TemplateDefinition
	for _, e := range app.TextEvents {
		tt, ok := templateTexts[e]
		if !ok {
			continue
		}
		for _, lang := range TemplateLanguages {
			d := app.TemplateDefinition{Name: TemplateName(e), Language: lang, Event: e,
				ButtonURL: trackingBaseURL + "{{1}}", ButtonExample: trackingBaseURL + ButtonExampleToken}
			if lang == "es" {
				d.Body, d.ButtonText = tt.es, "Seguir mi pedido"
			} else {
				d.Body, d.ButtonText = tt.en, "Track my order"
			}
			for _, v := range tt.vars {
				d.Example = append(d.Example, examples[lang][v])
			}
			out = append(out, d)
		}
	}
	return out
}

// Params are an event's body parameters in its template's order (nil for
// an event without a template). An empty value is sent as "-".
func Params(e app.NotificationEvent, orderName, carrier, trackingNumber string) []string {
	tt, ok := templateTexts[e]
	if !ok {
		return nil
	}
	vals := map[Var]string{VarOrder: orderName, VarCarrier: carrier, VarTracking: trackingNumber}
	out := make([]string, 0, len(tt.vars))
	for _, v := range tt.vars {
		out = append(out, vals[v])
	}
	return out
}

var bodyVar = regexp.MustCompile(`\{\{([0-9]+)\}\}`)

// Body renders a definition's body with params ({{n}} is params[n-1]);
// a variable without a parameter stays as it is, so a mismatch shows.
func Body(def app.TemplateDefinition, params []string) string {
	return RenderBody(def.Body, params)
}

// RenderBody fills {{n}} in body with params[n-1].
func RenderBody(body string, params []string) string {
	return bodyVar.ReplaceAllStringFunc(body, func(m string) string {
		n, err := strconv.Atoi(m[2 : len(m)-2])
		if err != nil || n < 1 || n > len(params) {
			return m
		}
		p := params[n-1]
		if strings.TrimSpace(p) == "" {
			p = emptyParam
		}
		return p
	})
}

// BodyVars is the number of distinct variables {{1}}…{{n}} in body, and
// false when they are not numbered 1…n without gaps.
func BodyVars(body string) (int, bool) {
	seen := map[int]bool{}
	max := 0
	for _, m := range bodyVar.FindAllStringSubmatch(body, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return 0, false
		}
		seen[n] = true
		if n > max {
			max = n
		}
	}
	return max, len(seen) == max
}
