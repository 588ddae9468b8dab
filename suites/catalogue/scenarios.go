package catalogue

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// ScenarioPrefix starts the case ID of a scenario-library file: fixtures/scenarios/tips/tip-1-join.yaml
// is proven by case scenario/tips/tip-1-join, whose spec loads that file.
const ScenarioPrefix = "scenario/"

// CheckScenarios holds the scenario library (dir, fixtures/scenarios) to the catalogue: every file
// is a catalogue case scenario/<path without .yaml>, and every scenario/… case names a file. With
// Check (every catalogue case is carried by a spec), a library file no spec proves is a problem.
func CheckScenarios(c *Catalogue, dir string) ([]string, error) {
	files := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if !strings.HasSuffix(rel, ".yaml") {
			return fmt.Errorf("%s: the scenario library holds .yaml files only", path)
		}
		files[ScenarioPrefix+strings.TrimSuffix(filepath.ToSlash(rel), ".yaml")] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	var problems []string
	cases := map[string]bool{}
	for _, k := range c.Cases {
		if strings.HasPrefix(k.ID, ScenarioPrefix) {
			cases[k.ID] = true
			if !files[k.ID] {
				problems = append(problems, fmt.Sprintf("case %s names no file %s", k.ID, scenarioFile(dir, k.ID)))
			}
		}
	}
	for id := range files {
		if !cases[id] {
			problems = append(problems, fmt.Sprintf("%s is no catalogue case %s (every library file is proven by a spec)", scenarioFile(dir, id), id))
		}
	}
	sort.Strings(problems)
	return problems, nil
}

func scenarioFile(dir, id string) string {
	return filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(id, ScenarioPrefix))+".yaml")
}
