package carrier

import "regexp"

// dataCarriers names tracking_number_data's couriers as Shopify does (its
// FulfillmentTrackingInfo list). Keys are pattern ids, then courier codes.
// An empty URL template takes the data's.
var dataCarriers = map[string]Carrier{
	"amazon":        {Name: "Amazon", urlTemplate: "https://track.amazon.com/tracking/%s"},
	"canada_post":   {Name: "Canada Post"},
	"dhl_express":   {Name: "DHL Express"},
	"dhl_ecommerce": {Name: "DHL eCommerce", urlTemplate: "https://webtrack.dhlecs.com/?trackingnumber=%s"},
	"dpd":           {Name: "DPD"},
	"fedex":         {Name: "FedEx"},
	"landmark":      {Name: "Landmark Global"},
	"lasership":     {Name: "Lasership", urlTemplate: "https://www.ontrac.com/tracking/?number=%s"},
	"ontrac":        {Name: "OnTrac", urlTemplate: "https://www.ontrac.com/tracking/?number=%s"},
	"ups":           {Name: "UPS"},
	"usps":          {Name: "USPS"},
}

// postalCarriers names the national posts of UPU S10 numbers (the last two
// letters are the issuing country). Names are Shopify's where Shopify knows
// the post; others are the post's own name.
var postalCarriers = map[string]Carrier{
	"ES": {Name: "Correos", urlTemplate: "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number=%s"},
	"MX": {Name: "Correos de México"},
	"AR": {Name: "Correo Argentino"},
	"CL": {Name: "Correos de Chile"},
	"CO": {Name: "4-72"},
	"PE": {Name: "Serpost"},
	"UY": {Name: "Correo Uruguayo"},
	"EC": {Name: "Correos del Ecuador"},
	"CR": {Name: "Correos de Costa Rica"},
	"CN": {Name: "China Post"},
	"HK": {Name: "Hongkong Post"},
	"SG": {Name: "Singapore Post"},
	"GB": {Name: "Royal Mail", urlTemplate: "https://www.royalmail.com/track-your-item#/tracking-results/%s"},
	"US": {Name: "USPS", urlTemplate: "https://tools.usps.com/go/TrackConfirmAction?tLabels=%s"},
	"CA": {Name: "Canada Post", urlTemplate: "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=%s"},
	"BR": {Name: "Correios"},
	"PT": {Name: "CTT"},
	"FR": {Name: "La Poste", urlTemplate: "https://www.laposte.fr/outils/suivre-vos-envois?code=%s"},
	"DE": {Name: "Deutsche Post"},
	"IT": {Name: "Poste Italiane"},
	"NL": {Name: "PostNL"},
	"BE": {Name: "BPost"},
	"IE": {Name: "An Post"},
	"CH": {Name: "Swiss Post"},
	"SE": {Name: "PostNord SE"},
	"DK": {Name: "PostNord DK"},
	"AU": {Name: "Australia Post"},
	"NZ": {Name: "New Zealand Post"},
	"JP": {Name: "Japan Post (EN)"},
	"IL": {Name: "Israel Post"},
	"CY": {Name: "Cyprus Post"},
	"IS": {Name: "Iceland Post"},
	"LV": {Name: "Latvia Post"},
}

func postalCarrier(groups map[string]string) Carrier {
	if c, ok := postalCarriers[groups["CountryCode"]]; ok {
		return c
	}
	return Carrier{Name: "Post " + groups["CountryCode"]}
}

// additions are formats the data lacks, for dropshipping and Spanish-speaking
// markets. They have no published check digit, so they are format-only
// matches: a checksum-verified match of another carrier outranks them.
// SEUR, GLS and Andreani publish no stable number format; they are known by
// name (knownCarriers) with their tracking pages.
func additions() []*pattern {
	add := func(id, re string, c Carrier, valid, invalid []string) *pattern {
		return &pattern{id: id, courier: id, re: regexp.MustCompile(`^(?:` + re + `)$`),
			carrier: func(map[string]string) Carrier { return c }, valid: valid, invalid: invalid}
	}
	return []*pattern{
		add("yunexpress", `YT\d{16}`, yunExpress, []string{"YT2300012345678901"}, []string{"YT230001234567890", "YX2300012345678901"}),
		add("cainiao", `LP\d{14}`, cainiao, []string{"LP00512345678901"}, []string{"LP0051234567890", "LQ00512345678901"}),
		add("4px", `4PX\d{13}CN`, fourPX, []string{"4PX3001234567890CN"}, []string{"4PX300123456789CN", "4PX3001234567890US"}),
		// Yanwen issues S10-shaped numbers with YW in place of a country.
		add("yanwen", `[A-Z]{2}\d{9}YW`, yanwen, []string{"UG123456789YW"}, []string{"UG12345678YW", "UG123456789CN"}),
		// Correos' domestic parcels (Paq Estándar/Premium): PQ/PK + 21 characters.
		add("correos_paq", `P[QK][A-Z0-9]{21}`, postalCarriers["ES"], []string{"PQ4F6P0700712380108001H"}, []string{"PQ4F6P07007123801080", "PZ4F6P0700712380108001H"}),
		// Estafeta's 22-digit waybill (número de guía).
		add("estafeta", `\d{22}`, estafeta, []string{"8055241528464720099314"}, []string{"805524152846472009931", "80552415284647200993145"}),
	}
}

var (
	yunExpress = Carrier{Name: "YunExpress", urlTemplate: "https://www.yuntrack.com/parcelTracking?id=%s"}
	cainiao    = Carrier{Name: "Cainiao", urlTemplate: "https://global.cainiao.com/newDetail.htm?mailNoList=%s"}
	fourPX     = Carrier{Name: "4PX", urlTemplate: "https://track.4px.com/#/result/0/%s"}
	yanwen     = Carrier{Name: "Yanwen", urlTemplate: "https://track.yw56.com.cn/en/querydel?nums=%s"}
	estafeta   = Carrier{Name: "Estafeta"}
)

// knownCarriers can be named by merchants and suppliers (ByName).
func knownCarriers() []Carrier {
	out := []Carrier{yunExpress, cainiao, fourPX, yanwen, estafeta,
		{Name: "SEUR", urlTemplate: "https://www.seur.com/livetracking/?segOnlineIdentificador=%s"},
		{Name: "GLS", urlTemplate: "https://gls-group.com/EU/en/parcel-tracking?match=%s"},
		{Name: "Andreani", urlTemplate: "https://www.andreani.com/#!/informacionEnvio/%s"},
		{Name: "Correos Express", urlTemplate: "https://s.correosexpress.com/search?s=%s"},
		{Name: "MRW"}, {Name: "Nacex"}, {Name: "Servientrega"}, {Name: "Coordinadora"}, {Name: "DHL eCommerce Asia"},
		{Name: "SF Express"}, {Name: "Chukou1"}, {Name: "Sunyou"}, {Name: "Anjun Logistics"},
	}
	for _, c := range dataCarriers {
		out = append(out, c)
	}
	for _, c := range postalCarriers {
		out = append(out, c)
	}
	// The data's URL templates for the couriers that lack our own.
	for i, c := range out {
		if c.urlTemplate == "" {
			switch c.Name {
			case "UPS":
				out[i].urlTemplate = "https://www.ups.com/track?tracknum=%s"
			case "FedEx":
				out[i].urlTemplate = "https://www.fedex.com/fedextrack/?trknbr=%s"
			case "DHL Express":
				out[i].urlTemplate = "https://www.dhl.com/en/express/tracking.html?AWB=%s&brand=DHL"
			case "DPD":
				out[i].urlTemplate = "https://www.dpdgroup.com/nl/mydpd/my-parcels/track?lang=en&parcelNumber=%s"
			case "Landmark Global":
				out[i].urlTemplate = "https://track.landmarkglobal.com/?search=%s"
			}
		}
	}
	return out
}

// aliases are other ways people write carrier names (keys are nameKey form).
var aliases = map[string]string{
	"dhl": "DHL Express", "dhlexpress": "DHL Express", "dhlecommerce": "DHL eCommerce",
	"unitedparcelservice": "UPS", "unitedstatespostalservice": "USPS", "federalexpress": "FedEx",
	"correosespana": "Correos", "correosdeespana": "Correos", "correosspain": "Correos",
	"correosmexico": "Correos de México", "sepomex": "Correos de México", "mexpost": "Correos de México",
	"chinapostair": "China Post", "chinaems": "China Post", "ems": "China Post", "epacket": "China Post",
	"yun": "YunExpress", "yuntrack": "YunExpress", "aliexpressstandardshipping": "Cainiao", "cainiaosuperecono": "Cainiao",
	"4pxexpress": "4PX", "yanwenlogistics": "Yanwen", "seurespana": "SEUR", "glsspain": "GLS", "glsespana": "GLS",
	"correoargentino": "Correo Argentino", "royalmailgroup": "Royal Mail", "canadapostpostescanada": "Canada Post",
	"amazonlogistics": "Amazon", "hongkongpost": "Hongkong Post", "singpost": "Singapore Post",
}
