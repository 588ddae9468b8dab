package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imharness/imharness/mockserver/scenario"
)

func newScenarioCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "List and check scenario files (fixtures/scenarios)",
	}
	var dir string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the scenario library: each file's name, description and what it proves",
		Long: `List every scenario file under --dir (default fixtures/scenarios), with its case ID
(scenario/<path without .yaml>), name, description and what it proves. Exit 1 if a file does not load.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return listScenarios(cmd, dir) },
	}
	list.Flags().StringVar(&dir, "dir", filepath.Join("fixtures", "scenarios"), "scenario library directory")

	var noDryRun bool
	check := &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate scenario files without serving them",
		Long: `Validate scenario files without serving them: strict loading (keys, types, users, rules), then a
dry run that seeds a scratch tenant and carries out every push at once, in file order, as if no
client acted, so an action the group model refuses is found too. Problems are printed as
file:line:col: key: message; exit 1 if any file has one. --no-dry-run skips the dry run (for
scenarios whose pushes rely on what a client does first).`,
		Example: `  imharness scenario check fixtures/scenarios/tips/*.yaml`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			return checkScenarios(cmd, files, !noDryRun)
		},
	}
	check.Flags().BoolVar(&noDryRun, "no-dry-run", false, "only load the files; do not carry the pushes out")
	cmd.AddCommand(list, check)
	return cmd
}

// CaseID is the catalogue case a library file is proven by: scenario/<path under the library>.
func scenarioCaseID(dir, file string) string {
	rel, err := filepath.Rel(dir, file)
	if err != nil {
		rel = file
	}
	return "scenario/" + strings.TrimSuffix(filepath.ToSlash(rel), ".yaml")
}

func libraryFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return err
	})
	return files, err
}

func listScenarios(cmd *cobra.Command, dir string) error {
	files, err := libraryFiles(dir)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no scenario files under %s", dir)
	}
	out := cmd.OutOrStdout()
	bad := 0
	for _, f := range files {
		sc, err := scenario.Load(f)
		if err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), err)
			bad++
			continue
		}
		fmt.Fprintf(out, "%s  %s\n", scenarioCaseID(dir, f), sc.Name)
		fmt.Fprintf(out, "    file:    %s\n", f)
		if sc.Description != "" {
			fmt.Fprintf(out, "    what:    %s\n", oneLine(sc.Description))
		}
		if sc.Proves != "" {
			fmt.Fprintf(out, "    proves:  %s\n", oneLine(sc.Proves))
		}
	}
	if bad > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d scenario files do not load", bad, len(files))}
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func checkScenarios(cmd *cobra.Command, files []string, dryRun bool) error {
	bad := 0
	for _, f := range files {
		sc, err := scenario.Load(f)
		if err == nil && dryRun {
			err = sc.DryRun()
		}
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = fmt.Errorf("%s: %w", f, pe.Err)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), err)
			bad++
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d users, %d groups, %d fault rules, %d pushes)\n",
			f, len(sc.Users), len(sc.Groups), len(sc.Faults), len(sc.Pushes))
	}
	if bad > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d scenario files have problems", bad, len(files))}
	}
	return nil
}
