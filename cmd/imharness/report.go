package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"

	"github.com/imharness/imharness/reports"
	"github.com/imharness/imharness/suites/catalogue"
)

func newReportCmd() *cobra.Command {
	var from, repo string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Rebuild junit.xml and index.html from the Ginkgo JSON reports a run left",
		Long: `Rebuild DIR/junit.xml and DIR/index.html from the ginkgo-<sdk>.json reports that imharness run
leaves in DIR (one per SDK version), e.g. after editing the report templates or merging the
reports of runs made one SDK at a time. Requirements and seeds come from fixtures/catalogue.yaml
when the source tree is found.`,
		Example: `  imharness report --from out/report`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return rebuildReport(cmd, from, repo) },
	}
	cmd.Flags().StringVar(&from, "from", "out/report", "report directory holding ginkgo-*.json")
	cmd.Flags().StringVar(&repo, "repo", "", "the imharness source tree, for the catalogue (default: found from the working directory)")
	return cmd
}

func rebuildReport(cmd *cobra.Command, from, repoFlag string) error {
	dir, err := filepath.Abs(from)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "ginkgo-*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no ginkgo-*.json report (imharness run writes them)", from)
	}
	// The catalogue only adds requirements and seeds: without a source tree the report is still
	// worth having, unless --repo named one.
	var cat *catalogue.Catalogue
	if repo, err := findRepo(repoFlag); err == nil {
		if cat, err = catalogue.Load(filepath.Join(repo, "fixtures", "catalogue.yaml")); err != nil {
			return err
		}
	} else if repoFlag != "" {
		return err
	}
	r := reports.Run{Title: "imharness conformance"}
	for _, file := range files {
		rep, err := readGinkgoReport(file)
		if err != nil {
			return err
		}
		if r.Started.IsZero() || rep.StartTime.Before(r.Started) {
			r.Started = rep.StartTime
		}
		r.Duration += rep.RunTime // run runs the SDK versions one after another
		sdk := sdkOfReport(file)
		var got []reports.Case
		for _, c := range reports.FromGinkgo(rep, "sdk:") {
			// A run narrowed with --cases leaves the other specs skipped without a reason; run
			// reports only the selected cases, and so does this.
			if c.State != reports.Skipped || c.Failure != "" {
				got = append(got, c)
			}
		}
		for i := range got {
			got[i].SDK = sdk
			if cat != nil {
				if k, ok := cat.Get(got[i].ID); ok {
					got[i].Requirement, got[i].Seed = k.Requirement, k.Seed
				}
			}
			relink(&got[i], dir)
		}
		r.Cases = append(r.Cases, got...)
	}
	if err := writeReports(dir, r); err != nil {
		return err
	}
	n := r.Count()
	fmt.Fprintf(cmd.OutOrStdout(), "imharness: %d case run(s), %d failed, from %d report(s)\n   %s\n   %s\n",
		len(r.Cases), n.Failed, len(files), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "index.html"))
	return nil
}

func readGinkgoReport(file string) (ginkgotypes.Report, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return ginkgotypes.Report{}, err
	}
	var reps []ginkgotypes.Report
	if err := json.Unmarshal(b, &reps); err != nil {
		return ginkgotypes.Report{}, fmt.Errorf("%s: unreadable ginkgo report: %w", file, err)
	}
	if len(reps) == 0 {
		return ginkgotypes.Report{}, fmt.Errorf("%s: empty ginkgo report", file)
	}
	return reps[0], nil
}

var versionSuffix = regexp.MustCompile(`^(.+?)-(\d+\.\d+.*)$`)

// sdkOfReport undoes run's file naming: ginkgo-tim-js-sdk-2.10.2.json → tim-js-sdk@2.10.2.
func sdkOfReport(file string) string {
	slug := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "ginkgo-"), ".json")
	if m := versionSuffix.FindStringSubmatch(slug); m != nil {
		return m[1] + "@" + m[2]
	}
	return slug
}
