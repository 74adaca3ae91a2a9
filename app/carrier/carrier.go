// Package carrier recognises a tracking number's carrier from its format and
// check digit, names the carrier as Shopify does, and builds its tracking
// URL. The formats come from github.com/jkeen/tracking_number_data (embedded
// JSON, read at start); Waybill adds what its merchants need that the data
// lacks: UPU S10 postal numbers named by country, and the consolidators
// dropshippers use.
package carrier

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"sort"
	"strings"

	tracking "github.com/jkeen/tracking_number_data"
)

// Carrier is a tracking company as Shopify names it, with its tracking page.
type Carrier struct {
	// Name is Shopify's tracking company name where Shopify knows the
	// carrier (then Shopify links the number itself), else the carrier's own.
	Name        string
	urlTemplate string // %s is the number
}

// TrackingURL is the carrier's page for number.
func (c Carrier) TrackingURL(number string) string {
	t := c.urlTemplate
	if t == "" {
		t = universalTracker
	}
	return fmt.Sprintf(t, url.QueryEscape(number))
}

// universalTracker follows any postal or consolidator number when the carrier
// has no page of its own that takes the number in the URL.
const universalTracker = "https://t.17track.net/en#nums=%s"

// Strength orders matches: a number whose check digit verifies is a stronger
// match than one that only has the right shape.
type Strength int

const (
	FormatOnly Strength = 1
	Verified   Strength = 2
)

// Match is one pattern a number fits.
type Match struct {
	Carrier  Carrier
	Pattern  string // e.g. "ups", "s10", "yunexpress"
	Strength Strength
}

// Result is what Detect found.
type Result struct {
	Number  string   // normalised: upper case, no spaces
	Carrier *Carrier // nil when unknown or ambiguous
	// Candidates are the strongest matches; more than one carrier among them
	// means the number is ambiguous and the merchant must choose.
	Candidates []Match
	// CheckDigitFails are the carriers whose shape the number has but whose
	// check digit it fails (one per name, sorted), when no carrier
	// recognises it otherwise: almost always a typo of such a number. A
	// number another carrier's format fits (an Estafeta waybill is 22 digits
	// like a USPS number) is that carrier's, not a typo.
	CheckDigitFails []Carrier
}

// Ambiguous reports whether several carriers match equally well.
func (r Result) Ambiguous() bool { return r.Carrier == nil && len(r.Candidates) > 1 }

// Detector recognises tracking numbers. Build one with New; it is safe for
// concurrent use.
type Detector struct {
	patterns []*pattern
	byName   map[string]Carrier
}

type pattern struct {
	id        string
	courier   string // data courier_code, or Waybill's own id
	re        *regexp.Regexp
	check     func(serial, check string) bool
	prependIf *regexp.Regexp // prepend when this does NOT match (the data's negative lookahead)
	prepend   string
	countries map[string]bool // S10: the CountryCode must be a UPU member
	carrier   func(groups map[string]string) Carrier
	valid     []string
	invalid   []string
}

// New loads the courier data and Waybill's additions.
func New() (*Detector, error) {
	d := &Detector{byName: map[string]Carrier{}}
	files, err := fs.Glob(tracking.Couriers, "couriers/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(tracking.Couriers, f)
		if err != nil {
			return nil, err
		}
		if err := d.loadCourierFile(b); err != nil {
			return nil, fmt.Errorf("carrier data %s: %w", f, err)
		}
	}
	d.patterns = append(d.patterns, additions()...)
	for _, c := range knownCarriers() {
		d.byName[nameKey(c.Name)] = c
	}
	for alias, name := range aliases {
		d.byName[alias] = d.byName[nameKey(name)]
	}
	return d, nil
}

type courierFile struct {
	CourierCode     string `json:"courier_code"`
	TrackingNumbers []struct {
		ID          string          `json:"id"`
		Name        string          `json:"name"`
		Regex       json.RawMessage `json:"regex"`
		TrackingURL *string         `json:"tracking_url"`
		Validation  struct {
			Checksum *struct {
				Name            string `json:"name"`
				EvensMultiplier int    `json:"evens_multiplier"`
				OddsMultiplier  int    `json:"odds_multiplier"`
				Weightings      []int  `json:"weightings"`
				Modulo1         int    `json:"modulo1"`
				Modulo2         int    `json:"modulo2"`
			} `json:"checksum"`
			SerialNumberFormat *struct {
				PrependIf struct {
					MatchesRegex string `json:"matches_regex"`
					Content      string `json:"content"`
				} `json:"prepend_if"`
			} `json:"serial_number_format"`
			Additional *struct {
				Exists []string `json:"exists"`
			} `json:"additional"`
		} `json:"validation"`
		Additional []struct {
			Name           string `json:"name"`
			RegexGroupName string `json:"regex_group_name"`
			Lookup         []struct {
				Matches string `json:"matches"`
				Courier string `json:"courier"`
			} `json:"lookup"`
		} `json:"additional"`
		TestNumbers struct {
			Valid   []string `json:"valid"`
			Invalid []string `json:"invalid"`
		} `json:"test_numbers"`
	} `json:"tracking_numbers"`
}

// lookaheadPrefix parses the data's `^(?!X).+` (Go's regexp has no
// lookahead): the rule is "X does not match at the start".
var lookaheadPrefix = regexp.MustCompile(`^\^\(\?!(.+)\)\.\+\$?$`)

func (d *Detector) loadCourierFile(b []byte) error {
	var cf courierFile
	if err := json.Unmarshal(b, &cf); err != nil {
		return err
	}
	for i, tn := range cf.TrackingNumbers {
		var src string
		if err := json.Unmarshal(tn.Regex, &src); err != nil {
			var parts []string
			if err := json.Unmarshal(tn.Regex, &parts); err != nil {
				return fmt.Errorf("regex of %s: %w", tn.Name, err)
			}
			src = strings.Join(parts, "")
		}
		re, err := regexp.Compile(`^(?:` + src + `)$`)
		if err != nil {
			return fmt.Errorf("regex of %s: %w", tn.Name, err)
		}
		id := tn.ID
		if id == "" {
			id = fmt.Sprintf("%s_%d", cf.CourierCode, i)
		}
		p := &pattern{id: id, courier: cf.CourierCode, re: re, valid: tn.TestNumbers.Valid, invalid: tn.TestNumbers.Invalid}
		if cs := tn.Validation.Checksum; cs != nil {
			switch cs.Name {
			case "mod10":
				evens, odds := cs.EvensMultiplier, cs.OddsMultiplier
				p.check = func(s, c string) bool { return validMod10(s, c, evens, odds) }
			case "mod7":
				p.check = validMod7
			case "s10":
				p.check = validS10
			case "sum_product_with_weightings_and_modulo":
				w, m1, m2 := cs.Weightings, cs.Modulo1, cs.Modulo2
				p.check = func(s, c string) bool { return validSumProduct(s, c, w, m1, m2) }
			case "mod_37_36":
				p.check = validMod3736
			default:
				return fmt.Errorf("%s: unknown checksum %q", tn.Name, cs.Name)
			}
		}
		if f := tn.Validation.SerialNumberFormat; f != nil && f.PrependIf.MatchesRegex != "" {
			m := lookaheadPrefix.FindStringSubmatch(f.PrependIf.MatchesRegex)
			if m == nil {
				return fmt.Errorf("%s: unsupported prepend_if %q", tn.Name, f.PrependIf.MatchesRegex)
			}
			p.prependIf = regexp.MustCompile(`^(?:` + m[1] + `)`)
			p.prepend = f.PrependIf.Content
		}
		if a := tn.Validation.Additional; a != nil {
			for _, group := range a.Exists {
				for _, add := range tn.Additional {
					if add.Name != group {
						continue
					}
					p.countries = map[string]bool{}
					for _, l := range add.Lookup {
						p.countries[l.Matches] = true
					}
				}
			}
		}
		if cf.CourierCode == "s10" {
			p.carrier = postalCarrier
		} else {
			c, ok := dataCarriers[id]
			if !ok {
				c, ok = dataCarriers[cf.CourierCode]
			}
			if !ok {
				return fmt.Errorf("no Shopify carrier name for %s (%s)", id, cf.CourierCode)
			}
			if c.urlTemplate == "" && tn.TrackingURL != nil {
				c.urlTemplate = *tn.TrackingURL
			}
			p.carrier = func(map[string]string) Carrier { return c }
		}
		d.patterns = append(d.patterns, p)
	}
	return nil
}

var whitespace = regexp.MustCompile(`\s+`)

// Normalize is how Waybill stores a tracking number: trimmed, upper case,
// without inner spaces.
func Normalize(number string) string {
	return whitespace.ReplaceAllString(strings.ToUpper(strings.TrimSpace(number)), "")
}

// match reports whether number fits p and how strongly.
func (p *pattern) match(number string) (Strength, map[string]string, bool) {
	s, groups, _ := p.judge(number)
	return s, groups, s > 0
}

// judge is match, also reporting a number with p's shape whose check digit
// is wrong (then the strength is 0 and groups are the shape's).
func (p *pattern) judge(number string) (s Strength, groups map[string]string, checkFails bool) {
	m := p.re.FindStringSubmatch(number)
	if m == nil {
		return 0, nil, false
	}
	groups = map[string]string{}
	for i, name := range p.re.SubexpNames() {
		if name != "" && m[i] != "" {
			groups[name] = whitespace.ReplaceAllString(m[i], "")
		}
	}
	if p.countries != nil && !p.countries[groups["CountryCode"]] {
		return 0, nil, false
	}
	if p.check == nil {
		return FormatOnly, groups, false
	}
	serial := groups["SerialNumber"]
	if p.prependIf != nil && !p.prependIf.MatchString(serial) {
		serial = p.prepend + serial
	}
	if !p.check(serial, groups["CheckDigit"]) {
		return 0, groups, true
	}
	return Verified, groups, false
}

// Detect finds number's carrier. When several carriers match equally well
// it returns them all and no carrier: Waybill never guesses.
func (d *Detector) Detect(number string) Result {
	// The number as stored (no spaces): the data's patterns allow spaces only
	// where the carrier prints them, so matching the number as typed would
	// give a number spaced otherwise another answer than it gets once stored.
	raw := Normalize(number)
	res := Result{Number: raw}
	var best Strength
	var fails []Carrier
	for _, p := range d.patterns {
		s, groups, checkFails := p.judge(raw)
		if checkFails {
			fails = append(fails, p.carrier(groups))
		}
		if s == 0 || s < best {
			continue
		}
		if s > best {
			best, res.Candidates = s, nil
		}
		res.Candidates = append(res.Candidates, Match{Carrier: p.carrier(groups), Pattern: p.id, Strength: s})
	}
	names := map[string]bool{}
	for _, c := range res.Candidates {
		names[c.Carrier.Name] = true
	}
	if len(names) == 1 {
		c := res.Candidates[0].Carrier
		res.Carrier = &c
	}
	sort.SliceStable(res.Candidates, func(i, j int) bool { return res.Candidates[i].Carrier.Name < res.Candidates[j].Carrier.Name })
	if len(res.Candidates) == 0 {
		seen := map[string]bool{}
		for _, c := range fails {
			if !seen[c.Name] {
				seen[c.Name] = true
				res.CheckDigitFails = append(res.CheckDigitFails, c)
			}
		}
		sort.SliceStable(res.CheckDigitFails, func(i, j int) bool { return res.CheckDigitFails[i].Name < res.CheckDigitFails[j].Name })
	}
	return res
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

func nameKey(name string) string {
	r := strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "ü", "u", "š", "s")
	return nonAlnum.ReplaceAllString(r.Replace(strings.ToLower(name)), "")
}

// ByName recognises a carrier name a merchant or supplier typed ("ups",
// "Correos España", "yun express") and returns it as Shopify names it.
// Unknown names are returned as given, with the universal tracker: Shopify
// accepts any company name.
func (d *Detector) ByName(name string) (Carrier, bool) {
	name = strings.TrimSpace(name)
	if c, ok := d.byName[nameKey(name)]; ok {
		return c, true
	}
	return Carrier{Name: name}, false
}
