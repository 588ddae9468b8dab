package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/imharness/imharness/mockserver/tim/transcript"
	"github.com/imharness/imharness/recorder"
)

type diffFlags struct {
	rules         string
	keepIdlePolls bool
	order         string
}

func newDiffCmd() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff WANT GOT",
		Short: "Compare two JSON-lines transcripts the way the suites compare goldens",
		Long: `Compare two transcripts (JSON lines, as recorded or as in fixtures/golden) after normalising both
(volatile values renumbered, idle long polls left out) and print the differences by connection,
command and JSON path. Exits 0 when they match, 1 when they differ, 2 on a usage or read error.`,
		Example: `  imharness diff fixtures/golden/tim/c2c/send-text.jsonl out/report/transcripts/tim-js-sdk@2.7.0/tim/c2c/send-text.jsonl
  imharness diff --order conn --keep-idle-polls --rules my-rules.yaml a.jsonl b.jsonl`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return diff(cmd, args[0], args[1], f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.rules, "rules", "", "normalisation rules (YAML or JSON, see recorder/README.md) instead of the defaults")
	fl.BoolVar(&f.keepIdlePolls, "keep-idle-polls", false, "also compare long polls that returned no events")
	fl.StringVar(&f.order, "order", "command", "order enforced within a connection: per command (as the suites do), or the whole conn")
	return cmd
}

func diff(cmd *cobra.Command, wantFile, gotFile string, f diffFlags) error {
	opts, err := diffOptions(f)
	if err != nil {
		return err
	}
	want, err := recorder.Load(wantFile)
	if err != nil {
		return err
	}
	got, err := recorder.Load(gotFile)
	if err != nil {
		return err
	}
	res := recorder.Diff(want, got, opts...)
	if res.Err != nil {
		return res.Err
	}
	fmt.Fprintln(cmd.OutOrStdout(), res.String())
	if !res.Equal() {
		return &exitError{code: 1, err: fmt.Errorf("%s and %s differ", wantFile, gotFile)}
	}
	return nil
}

func diffOptions(f diffFlags) ([]recorder.DiffOption, error) {
	// Transcripts are read as Tencent IM's, the one protocol with recorded goldens so far.
	opts := []recorder.DiffOption{recorder.WithProfile(transcript.Profile)}
	switch f.order {
	case "command":
		// What the suites use (harness.GoldenOptions): calls an SDK issues at once may arrive in
		// any order, so only the order among one command's calls counts.
		opts = append(opts, recorder.OrderPerCommand())
	case "conn":
	default:
		return nil, fmt.Errorf("--order: want conn or command, got %q", f.order)
	}
	if f.keepIdlePolls {
		opts = append(opts, recorder.KeepIdlePolls())
	}
	if f.rules != "" {
		rules, err := recorder.LoadRules(f.rules, transcript.Profile)
		if err != nil {
			return nil, err
		}
		if len(rules) == 0 {
			return nil, errors.New(f.rules + ": no rules (add defaults: true to extend the default rules)")
		}
		opts = append(opts, recorder.WithRules(rules))
	}
	return opts, nil
}
