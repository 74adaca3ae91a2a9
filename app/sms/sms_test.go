package sms_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/waybill-app/waybill/app/sms"
)

func TestCountSpanishMessages(t *testing.T) {
	long := "Hola Lucía: tu pedido #1001 ya está en camino con Correos. Sigue el envío aquí: https://tienda.example/a/t/8Fq2 ¡Gracias!"
	for _, tc := range []struct {
		name     string
		body     string
		segments int
		encoding string
		units    int
	}{
		{"accent makes it UCS-2", "Tu pedido #1001 está en camino con Correos", 1, sms.UCS2, 42},
		{"ó is not GSM-7", "¿Dónde?", 1, sms.UCS2, 7},
		{"llegó and Algún make it UCS-2", "¡Tu pedido de Begoña llegó! ¿Algún problema? Pingüino, café", 1, sms.UCS2, 59},
		{"llegará makes it UCS-2", "¡Hola Begoña! ¿Tu pingüino? Tu café llegará mañana", 1, sms.UCS2, 50},
		{"ñ é ü ¿ ¡ are GSM-7", "¡Hola Begoña! ¿Tu pingüino? Tu café llega mañana", 1, sms.GSM7, 48},
		{"long Spanish is 2 UCS-2 segments", long, 2, sms.UCS2, utf8.RuneCountInString(long)},
		{"euro costs two septets", "Total: 12€", 1, sms.GSM7, 11},
		{"emoji is two code units", "Llega hoy 📦", 1, sms.UCS2, 12},
		{"empty", "", 0, sms.GSM7, 0},
		{"Portuguese ç is not GSM-7, Ç is", "Ç", 1, sms.GSM7, 1},
		{"lower-case ç", "ç", 1, sms.UCS2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segments, encoding, units := sms.Count(tc.body)
			if segments != tc.segments || encoding != tc.encoding || units != tc.units {
				t.Errorf("Count(%q) = %d, %s, %d; want %d, %s, %d", tc.body, segments, encoding, units,
					tc.segments, tc.encoding, tc.units)
			}
		})
	}
}

func TestCountBoundaries(t *testing.T) {
	a, á := "a", "á"
	for _, tc := range []struct {
		name     string
		body     string
		segments int
		units    int
	}{
		{"160 septets: one segment", strings.Repeat(a, 160), 1, 160},
		{"161 septets: two (153 + 8)", strings.Repeat(a, 161), 2, 161},
		{"306 septets: two", strings.Repeat(a, 306), 2, 306},
		{"307 septets: three", strings.Repeat(a, 307), 3, 307},
		{"70 code units: one segment", strings.Repeat(á, 70), 1, 70},
		{"71 code units: two (67 + 4)", strings.Repeat(á, 71), 2, 71},
		{"134 code units: two", strings.Repeat(á, 134), 2, 134},
		{"135 code units: three", strings.Repeat(á, 135), 3, 135},
		{"80 euros fill one segment exactly", strings.Repeat("€", 80), 1, 160},
		{"81 euros: the escape pairs are not split", strings.Repeat("€", 81), 2, 162},
		// 152 septets, then € cannot fit in the one septet left: it
		// starts segment 2 (2 + 151 = 153), and the last "a" needs a third.
		// Counting 306 septets as 153 + 153 would say two.
		{"escape at position 153 moves to the next segment", strings.Repeat(a, 152) + "€" + strings.Repeat(a, 152), 3, 306},
		{"escape that fits stays", strings.Repeat(a, 151) + "€" + strings.Repeat(a, 153), 2, 306},
		// The same for a surrogate pair in UCS-2: 66 + 📦 does not fit 67.
		{"surrogate pair at position 67 moves to the next segment", strings.Repeat(á, 66) + "📦" + strings.Repeat(á, 66), 3, 134},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segments, _, units := sms.Count(tc.body)
			if segments != tc.segments || units != tc.units {
				t.Errorf("Count = %d segments, %d units; want %d, %d", segments, units, tc.segments, tc.units)
			}
		})
	}
}

func TestFit(t *testing.T) {
	twoSegments := "Hola Lucía: tu pedido #1001 ya está en camino con Correos. Sigue el envío aquí: https://tienda.example/a/t/8Fq2 ¡Gracias!"
	for _, tc := range []struct {
		name string
		body string
		want string
	}{
		{"one segment either way keeps its accents", "Tu pedido #1001 está en camino con Correos",
			"Tu pedido #1001 está en camino con Correos"},
		{"two UCS-2 segments become one GSM-7 segment", twoSegments,
			"Hola Lucia: tu pedido #1001 ya esta en camino con Correos. Sigue el envio aqui: https://tienda.example/a/t/8Fq2 ¡Gracias!"},
		{"ñ é ü ¿ ¡ stay", "¿Begoña? Tu café y el pingüino llegan hoy, mañana o pasado. Dirección: C/ Mayor 3, 2ª planta, Nº 12, Madrid. Si no estás, lo dejamos en el punto de recogida más cercano.",
			"¿Begoña? Tu café y el pingüino llegan hoy, mañana o pasado. Direccion: C/ Mayor 3, 2a planta, No 12, Madrid. Si no estas, lo dejamos en el punto de recogida mas cercano."},
		{"typographic quotes, dashes and ellipsis", "Tu pedido “Camiseta azul” — talla M — salió del almacén… Llegará el jueves entre las 9:00 y las 14:00; si no estás, te dejamos un aviso en el buzón.",
			"Tu pedido \"Camiseta azul\" - talla M - salio del almacén... Llegara el jueves entre las 9:00 y las 14:00; si no estas, te dejamos un aviso en el buzon."},
		{"Portuguese", "Olá João, a sua encomenda #2042 está a caminho com os CTT. Acompanhe a entrega aqui: https://loja.example/t/abc Obrigado pela preferência e até à próxima!",
			"Ola Joao, a sua encomenda #2042 esta a caminho com os CTT. Acompanhe a entrega aqui: https://loja.example/t/abc Obrigado pela preferencia e até à proxima!"},
		{"an emoji keeps it UCS-2 whole", twoSegments + " 📦", twoSegments + " 📦"},
		{"GSM-7 is left alone", "Tu pedido llega mañana", "Tu pedido llega mañana"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sms.Fit(tc.body)
			if got != tc.want {
				t.Fatalf("Fit(%q)\n = %q\nwant %q", tc.body, got, tc.want)
			}
			before, _, _ := sms.Count(tc.body)
			after, _, _ := sms.Count(got)
			if got != tc.body && after >= before {
				t.Errorf("Fit changed the text without saving a segment: %d → %d", before, after)
			}
		})
	}
}

func TestFitNeverSplitsAnEscapeIntoMore(t *testing.T) {
	// 150 letters with one á: two UCS-2 segments; spelt "a" it is one
	// GSM-7 segment of 150 + the € (2) = 152 septets.
	body := strings.Repeat("a", 149) + "á" + "€"
	if n, enc, _ := sms.Count(body); n != 3 || enc != sms.UCS2 {
		t.Fatalf("Count = %d %s, want 3 ucs2", n, enc)
	}
	got := sms.Fit(body)
	if n, enc, units := sms.Count(got); n != 1 || enc != sms.GSM7 || units != 152 {
		t.Errorf("Fit gave %d %s %d units, want 1 gsm7 152", n, enc, units)
	}
}

func TestAlphabetSize(t *testing.T) {
	// 128 code points, less the escape; 10 in the extension table.
	n := 0
	for r := rune(0); r < 0x10000; r++ {
		if sms.IsGSM(r) {
			n++
		}
	}
	if n != 127+10 {
		t.Errorf("GSM-7 has %d characters here, want 137", n)
	}
}
