// Command imharness serves the fake IM server, runs the conformance suites, diffs transcripts,
// records through a proxy and writes reports.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "imharness:", err)
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit status (1 = failures found, 2 = usage or setup error).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 2
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "imharness",
		Short:         "Conformance harness and scriptable fake IM server (Tencent Cloud IM v4)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newRunCmd(), newDiffCmd(), newRecordCmd(), newReportCmd(), newScenarioCmd(), newBenchCmd(), newBenchBareCmd(), &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "imharness", version) },
	})
	return root
}
