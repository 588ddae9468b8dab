// Package catalogue reads the conformance catalogue (fixtures/catalogue.yaml): for every case ID,
// the requirement it proves, the seed section it comes from and the seed items
// (fixtures/seed-items.tsv) it covers; and checks it against the specs Ginkgo registers.
package catalogue

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/imharness/imharness/internal/caseid"
)

// Case is one catalogue entry.
type Case struct {
	ID          string   `yaml:"id"`
	Requirement string   `yaml:"requirement"`
	Seed        string   `yaml:"seed"`
	Covers      []string `yaml:"covers"`
}

// Catalogue is the whole file.
type Catalogue struct {
	Cases []Case `yaml:"cases"`
}

// Load reads and checks a catalogue: unknown keys, duplicate IDs and empty requirements are errors.
func Load(file string) (*Catalogue, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var c Catalogue
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	seen := map[string]bool{}
	for i, k := range c.Cases {
		switch {
		case caseid.Check(k.ID) != nil:
			return nil, fmt.Errorf("%s: case %d: %w", file, i+1, caseid.Check(k.ID))
		case seen[k.ID]:
			return nil, fmt.Errorf("%s: case %s listed twice", file, k.ID)
		case k.Requirement == "" || k.Seed == "":
			return nil, fmt.Errorf("%s: case %s needs a requirement and a seed", file, k.ID)
		}
		seen[k.ID] = true
	}
	return &c, nil
}

// Get finds a case by ID.
func (c *Catalogue) Get(id string) (Case, bool) {
	for _, k := range c.Cases {
		if k.ID == id {
			return k, true
		}
	}
	return Case{}, false
}

// Match lists the cases whose ID matches the glob ("" or "*" matches all; "tim/c2c/*").
func (c *Catalogue) Match(glob string) ([]Case, error) {
	var out []Case
	for _, k := range c.Cases {
		ok := glob == "" || glob == "*"
		if !ok {
			var err error
			if ok, err = path.Match(glob, k.ID); err != nil {
				return nil, fmt.Errorf("--cases %q: %w", glob, err)
			}
		}
		if ok {
			out = append(out, k)
		}
	}
	return out, nil
}

// Item is one testable item the seed documents name (a row of fixtures/seed-items.tsv).
type Item struct {
	Seed, Kind, Name, Note string
}

// LoadItems reads the seed-item list (tab-separated: seed, kind, item, note; one header line).
func LoadItems(file string) ([]Item, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Item
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); n++ {
		cols := strings.Split(sc.Text(), "\t")
		if n == 0 || len(cols) < 3 {
			continue // header
		}
		it := Item{Seed: cols[0], Kind: cols[1], Name: cols[2]}
		if len(cols) > 3 {
			it.Note = cols[3]
		}
		out = append(out, it)
	}
	return out, sc.Err()
}

// Coverage says which seed items some case covers. An item counts when a case names it exactly
// (the item column, e.g. tim.sendMessage or "1 JOIN").
func (c *Catalogue) Coverage(items []Item) (covered, missing []Item) {
	named := map[string]bool{}
	for _, k := range c.Cases {
		for _, n := range k.Covers {
			named[n] = true
		}
	}
	for _, it := range items {
		if named[it.Name] || named[it.Kind+" "+it.Name] {
			covered = append(covered, it)
		} else {
			missing = append(missing, it)
		}
	}
	return covered, missing
}

// Unknown lists names in covers that are no item of the seeds: typos hide coverage.
func (c *Catalogue) Unknown(items []Item) []string {
	known := map[string]bool{}
	for _, it := range items {
		known[it.Name] = true
		known[it.Kind+" "+it.Name] = true
	}
	var out []string
	for _, k := range c.Cases {
		for _, n := range k.Covers {
			if !known[n] {
				out = append(out, fmt.Sprintf("%s covers %q", k.ID, n))
			}
		}
	}
	sort.Strings(out)
	return out
}
