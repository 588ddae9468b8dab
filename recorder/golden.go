package recorder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/imharness/imharness/internal/caseid"
)

// EnvUpdateGolden turns on update mode for every Golden when set to "1".
const EnvUpdateGolden = "IMHARNESS_UPDATE_GOLDEN"

// ErrMissingGolden is wrapped by Check's error when a case has no golden file (strict mode).
var ErrMissingGolden = errors.New("missing golden")

// ErrUpdateInCI is Check's error in update mode when the CI environment variable is set: a golden
// is a reviewed change made on a person's machine, never something CI rewrites to get green.
var ErrUpdateInCI = errors.New("golden updates are refused when CI is set")

// inCI says whether the CI variable is set (to anything but "", "0" or "false").
func inCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

// Golden compares transcripts with golden files <Dir>/<case-id>.jsonl; case IDs contain '/'
// (tim/c2c/send-text → <Dir>/tim/c2c/send-text.jsonl). Golden files hold the transcript as Prepare
// makes it (normalised, idle long polls left out), so they are stable and readable.
//
// Strict mode (the default) never writes: a missing golden is an error. Update mode (Update, or
// IMHARNESS_UPDATE_GOLDEN=1) rewrites the golden and reports what changed; it is refused when the
// CI variable is set (ErrUpdateInCI).
type Golden struct {
	Dir     string       // root of the golden files, e.g. "fixtures/golden"
	Update  bool         // rewrite instead of compare (e.g. from a -update flag)
	Options []DiffOption // how transcripts are compared and stored (rules, idle polls, …)
	Log     io.Writer    // where update mode writes its summary; nil means os.Stderr
}

// MismatchError is Check's error when the transcript differs from the golden.
type MismatchError struct {
	CaseID string
	Path   string
	Result Result
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("transcript of %s differs from golden %s (run with %s=1 to accept it)\n%s",
		e.CaseID, e.Path, EnvUpdateGolden, e.Result.String())
}

// Path is the golden file of caseID; the ID follows the case-ID grammar (internal/caseid), which
// also makes it a safe relative path.
func (g Golden) Path(caseID string) (string, error) {
	if err := caseid.Check(caseID); err != nil {
		return "", err
	}
	return filepath.Join(g.Dir, filepath.FromSlash(caseID)+".jsonl"), nil
}

// Updating says whether Check rewrites goldens.
func (g Golden) Updating() bool { return g.Update || os.Getenv(EnvUpdateGolden) == "1" }

// Check compares got with the golden of caseID. In update mode it rewrites the golden instead,
// writes a summary of what changed to Log and returns nil.
func (g Golden) Check(caseID string, got []Exchange) error {
	if g.Updating() {
		if inCI() {
			return fmt.Errorf("%w (%s=1 with CI=%s): run the update on your machine and commit the reviewed goldens", ErrUpdateInCI, EnvUpdateGolden, os.Getenv("CI"))
		}
		summary, err := g.Write(caseID, got)
		if err != nil {
			return err
		}
		w := g.Log
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintln(w, summary)
		return nil
	}
	p, err := g.Path(caseID)
	if err != nil {
		return err
	}
	want, err := Load(p)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w %s for %s; run with %s=1 to create it", ErrMissingGolden, p, caseID, EnvUpdateGolden)
	}
	if err != nil {
		return err
	}
	res := Diff(want, got, g.Options...)
	if res.Err != nil {
		return res.Err
	}
	if !res.Equal() {
		return &MismatchError{CaseID: caseID, Path: p, Result: res}
	}
	return nil
}

// Write stores got (prepared) as the golden of caseID and returns a summary: created, unchanged,
// or updated with the differences from the previous golden. A golden that Diff finds equal to got
// is left as it is, so reruns do not churn the files.
func (g Golden) Write(caseID string, got []Exchange) (string, error) {
	p, err := g.Path(caseID)
	if err != nil {
		return "", err
	}
	prepared, err := Prepare(got, g.Options...)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, prepared); err != nil {
		return "", err
	}
	old, rerr := os.ReadFile(p)
	if rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return "", rerr
	}
	if rerr == nil {
		if bytes.Equal(old, buf.Bytes()) {
			return fmt.Sprintf("golden %s: unchanged (%d exchanges)", p, len(prepared)), nil
		}
		prev, err := ReadJSONL(bytes.NewReader(old))
		if err == nil {
			res := Diff(prev, prepared, g.Options...)
			if res.Equal() {
				// Same content, other interleaving across Conns: keep the file, so goldens do not churn.
				return fmt.Sprintf("golden %s: unchanged (%d exchanges; only the interleaving differs)", p, len(prepared)), nil
			}
			if err := Save(p, prepared); err != nil {
				return "", err
			}
			return fmt.Sprintf("golden %s: updated; old → new:\n%s", p, res.String()), nil
		}
		if err := Save(p, prepared); err != nil {
			return "", err
		}
		return fmt.Sprintf("golden %s: rewritten (the old file did not parse: %v)", p, err), nil
	}
	if err := Save(p, prepared); err != nil {
		return "", err
	}
	return fmt.Sprintf("golden %s: created (%d exchanges)", p, len(prepared)), nil
}
