package app

import "testing"

// One list of opt-out replies serves both providers: Twilio's own keywords
// and what a Spanish-speaking customer writes, whatever the case, spaces
// and punctuation; a sentence that merely contains one is not an opt-out.
func TestIsOptOutReply(t *testing.T) {
	for body, want := range map[string]bool{
		"STOP": true, " stop ": true, "StopAll": true, "STOP ALL": true, "unsubscribe": true, "Cancel": true,
		"BAJA": true, "baja.": true, "¡Baja!": true, "Dar de baja": true, "PARAR": true, "no más": true,
		"Baja por favor": false, "¿Cuándo llega mi pedido?": false, "": false, "stopp": false,
	} {
		if got := IsOptOutReply(body); got != want {
			t.Errorf("IsOptOutReply(%q) = %v, want %v", body, got, want)
		}
	}
}
