package carrier

// PatternCase exposes a pattern's own valid and invalid numbers and its
// matcher, so the tests are built from the data's test_numbers.
type PatternCase struct {
	ID      string
	Valid   []string
	Invalid []string
	Matches func(string) bool
	Carrier func(string) string
}

func (d *Detector) PatternCases() []PatternCase {
	var out []PatternCase
	for _, p := range d.patterns {
		out = append(out, PatternCase{ID: p.id, Valid: p.valid, Invalid: p.invalid,
			Matches: func(n string) bool { _, _, ok := p.match(n); return ok },
			Carrier: func(n string) string {
				_, g, ok := p.match(n)
				if !ok {
					return ""
				}
				return p.carrier(g).Name
			}})
	}
	return out
}
