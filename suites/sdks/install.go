package sdks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// EnvCache overrides where unpinned builds are installed (default <user cache dir>/imharness/sdks).
const EnvCache = "IMHARNESS_SDK_CACHE"

// CacheDir is where unpinned builds are installed, one directory per build (SDK.Key). It is
// outside the repository, so trying a build leaves the checkout as it was.
func CacheDir() (string, error) {
	if d := os.Getenv(EnvCache); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for SDK builds (set %s): %w", EnvCache, err)
	}
	return filepath.Join(d, "imharness", "sdks"), nil
}

// lookTools finds node, and npm when needed, with one line saying what to install otherwise.
func lookTools(needNPM bool) error {
	if _, err := exec.LookPath("node"); err != nil {
		return errors.New("node is not on PATH: install Node.js 20 or later (with npm) to run the SDKs")
	}
	if _, err := exec.LookPath("npm"); needNPM && err != nil {
		return errors.New("npm is not on PATH: install npm (it comes with Node.js 20 or later) so the SDKs can be installed")
	}
	return nil
}

// EnsurePinned installs the pinned SDKs and the driver's dependencies with npm ci in nodeDir
// when node_modules is missing or older than package-lock.json. npm's output goes to log.
func EnsurePinned(ctx context.Context, nodeDir string, log io.Writer) error {
	lock, err := os.Stat(filepath.Join(nodeDir, "package-lock.json"))
	if err != nil {
		return fmt.Errorf("the driver's package-lock.json: %w", err)
	}
	stamp, err := os.Stat(filepath.Join(nodeDir, "node_modules", ".package-lock.json")) // npm writes it on every install
	fresh := err == nil && !stamp.ModTime().Before(lock.ModTime())
	if err := lookTools(!fresh); err != nil {
		return err
	}
	if fresh {
		return nil
	}
	fmt.Fprintf(log, "== installing the pinned SDKs: npm ci in %s\n", nodeDir)
	return npm(ctx, nodeDir, log, "ci")
}

// Install makes an unpinned build loadable: npm installs it into its own directory under
// CacheDir (again each time for a local build, which may have been rebuilt; once for a registry
// version), then the installed package.json gives its version and so its family.
func Install(ctx context.Context, s *SDK, log io.Writer) error {
	if s.Pinned() || s.Family.File {
		return nil // a user-given file is used where it is
	}
	if err := lookTools(true); err != nil {
		return err
	}
	cache, err := CacheDir()
	if err != nil {
		return err
	}
	dir := filepath.Join(cache, s.Key())
	pkgDir := filepath.Join(dir, "node_modules", filepath.FromSlash(s.Package))
	stamp := filepath.Join(dir, ".imharness-installed")
	if b, err := os.ReadFile(stamp); err != nil || string(b) != s.Spec || isLocal(s.Spec) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		manifest, _ := json.MarshalIndent(map[string]any{
			"name": "imharness-sdk-build", "private": true, "description": "installed by imharness run --sdk " + s.Name,
			"dependencies": map[string]string{s.Package: s.Spec},
		}, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "package.json"), manifest, 0o644); err != nil {
			return err
		}
		_ = os.Remove(stamp)
		fmt.Fprintf(log, "== installing %s: npm install in %s\n", s.Name, dir)
		if err := npm(ctx, dir, log, "install"); err != nil {
			return fmt.Errorf("--sdk %s: %w", s.Name, err)
		}
		if err := os.WriteFile(stamp, []byte(s.Spec), 0o644); err != nil {
			return err
		}
	}
	var p struct{ Name, Version string }
	b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		return fmt.Errorf("--sdk %s: npm installed no readable %s/package.json: %v", s.Name, s.Package, err)
	}
	if p.Name != s.Package {
		return fmt.Errorf("--sdk %s: the build is the package %q, not %s", s.Name, p.Name, s.Package)
	}
	f, err := FamilyOf(p.Name, p.Version)
	if err != nil {
		return fmt.Errorf("--sdk %s: %w", s.Name, err)
	}
	s.Version, s.Family, s.Require = p.Version, f, pkgDir
	if !isLocal(s.Spec) {
		s.Name = s.Package + "@" + p.Version // a range resolves to one release: name the column by it
	}
	return nil
}

func isLocal(spec string) bool { return len(spec) > 5 && spec[:5] == "file:" }

// npm runs one npm command in dir, its output (progress, warnings) to log.
func npm(ctx context.Context, dir string, log io.Writer, args ...string) error {
	start := time.Now()
	c := exec.CommandContext(ctx, "npm", append(args, "--no-audit", "--no-fund")...)
	c.Dir = dir
	c.Stdout, c.Stderr = log, log
	if err := c.Run(); err != nil {
		return fmt.Errorf("npm %s in %s failed (%v); npm's output is above", args[0], dir, err)
	}
	fmt.Fprintf(log, "== npm %s done in %s\n", args[0], time.Since(start).Round(100*time.Millisecond))
	return nil
}
