// Package sms counts an SMS's length as carriers bill it: GSM-7 (3GPP TS
// 23.038's default alphabet and its extension table) or UCS-2, and the
// number of segments a message is split into.
//
// It is written here because no maintained Go library for GSM-7 is served
// by the module proxy Waybill builds with (warthog618/sms, linxGnu/gosmpp
// and fiorix/go-smpp are not available), and counting is a table and a
// loop.
package sms

import "unicode/utf8"

// Encodings, as CustomerText.Encoding records them.
const (
	GSM7 = "gsm7"
	UCS2 = "ucs2"
)

// Segment sizes: a message that fits one segment may use all of it; a longer
// one is split into segments that each lose room to the concatenation header
// (6 bytes of user data header: 7 septets, or 3 UTF-16 code units).
const (
	gsmSingle  = 160
	gsmMulti   = 153
	ucs2Single = 70
	ucs2Multi  = 67
)

// gsmBasic is the GSM 03.38 default alphabet (0x1B, the escape to the
// extension table, left out), in code point order of the table.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension are the characters of the extension table: each is sent as
// the escape septet and one more, so it costs 2 septets.
const gsmExtension = "\f^{}\\[~]|€"

var basic, extension = runeSet(gsmBasic), runeSet(gsmExtension)

func runeSet(s string) map[rune]bool {
	m := make(map[rune]bool, utf8.RuneCountInString(s))
	for _, r := range s {
		m[r] = true
	}
	return m
}

// IsGSM reports whether r can be sent in GSM-7 (basic or extension table).
func IsGSM(r rune) bool { return basic[r] || extension[r] }

// Count returns how many segments body is sent in, its encoding (GSM7 when
// every character is in the GSM-7 alphabet, else UCS2) and its length in
// the encoding's units: septets for GSM-7 (an extension character counts 2)
// or UTF-16 code units for UCS-2 (a character outside the BMP counts 2).
//
// One segment holds 160 septets or 70 code units; a longer message is split
// into segments of 153 septets or 67 code units, and a unit pair (an escape
// and its character, or a surrogate pair) is never split: when only one
// unit is left in a segment, the pair starts the next one. An empty body is
// 0 segments.
func Count(body string) (segments int, encoding string, units int) {
	if body == "" {
		return 0, GSM7, 0
	}
	encoding = GSM7
	for _, r := range body {
		if !IsGSM(r) {
			encoding = UCS2
			break
		}
	}
	single, multi := gsmSingle, gsmMulti
	cost := gsmCost
	if encoding == UCS2 {
		single, multi, cost = ucs2Single, ucs2Multi, ucs2Cost
	}
	for _, r := range body {
		units += cost(r)
	}
	if units <= single {
		return 1, encoding, units
	}
	segments, used := 1, 0
	for _, r := range body {
		c := cost(r)
		if used+c > multi {
			segments++
			used = 0
		}
		used += c
	}
	return segments, encoding, units
}

func gsmCost(r rune) int {
	if extension[r] {
		return 2
	}
	return 1
}

func ucs2Cost(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// transliteration replaces the characters Spanish and Portuguese texts
// carry that GSM-7 lacks with their nearest GSM-7 spelling. ñ, é, ü, ¿, ¡
// (and Ç, à, è, ì, ò, ù) are GSM-7 and never need it.
var transliteration = map[rune]string{
	'á': "a", 'í': "i", 'ó': "o", 'ú': "u",
	'Á': "A", 'Í': "I", 'Ó': "O", 'Ú': "U",
	'â': "a", 'ê': "e", 'ô': "o", 'Â': "A", 'Ê': "E", 'Ô': "O",
	'ã': "a", 'õ': "o", 'Ã': "A", 'Õ': "O",
	// GSM-7 has Ç (0x09) but not ç: "servico" reads better than "serviÇo".
	'ç': "c",
	// GSM-7 has the grave vowels in lower case only (and É, not È).
	'À': "A", 'È': "E", 'Ì': "I", 'Ò': "O", 'Ù': "U",
	'ï': "i", 'Ï': "I", 'ë': "e", 'Ë': "E",
	// "Nº 12", "1ª planta".
	'º': "o", 'ª': "a",
	// Typographic punctuation that word processors and translators put in.
	'‘': "'", '’': "'", '‚': "'", '′': "'", '´': "'",
	'“': "\"", '”': "\"", '„': "\"", '″': "\"", '«': "\"", '»': "\"",
	'–': "-", '—': "-", '‒': "-", '−': "-", '‐': "-", '…': "...",
	'\u00a0': " ", '\u202f': " ", '\u2009': " ",
}

// Fit returns body spelt in GSM-7 when it is UCS-2 only because of
// characters transliteration knows (á → a, typographic quotes → ", … →
// ...) and the GSM-7 spelling is sent in fewer segments; otherwise body
// unchanged. A message that fits one segment either way keeps its accents,
// and one with a character no transliteration reaches (an emoji, a Greek
// or Cyrillic letter) stays UCS-2 whole.
func Fit(body string) string {
	segments, encoding, _ := Count(body)
	if encoding != UCS2 {
		return body
	}
	out := make([]byte, 0, len(body))
	for _, r := range body {
		if IsGSM(r) {
			out = utf8.AppendRune(out, r)
			continue
		}
		rep, ok := transliteration[r]
		if !ok {
			return body
		}
		out = append(out, rep...)
	}
	fitted := string(out)
	if n, _, _ := Count(fitted); n < segments {
		return fitted
	}
	return body
}
