package recorder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Actions a Rule can take.
const (
	ActionRenumber = "renumber" // the first distinct value of the class becomes <class-1>, the next <class-2>, …
	ActionMask     = "mask"     // the value becomes <class>
	ActionDrop     = "drop"     // the key (or query parameter) is removed; with Command, the whole exchange
)

// Rule declares how one kind of volatile value is normalised. Exactly one matcher (Key/Keys, Path/
// Paths, Query, Regex, Command, Field) is set. Rules are tried in order and the first that matches
// a value wins; a value a rule has rewritten is not looked at again.
//
// Values that are "zero" (null, false, "", 0) are never rewritten, so "Cookie":"" or "TimeStamp":0
// stay visible. Strings that already hold a placeholder (<name> or <name-N>) are left alone, so
// normalising a normalised transcript changes nothing.
type Rule struct {
	Name string `json:"name,omitempty" yaml:"name,omitempty"` // for error messages and docs

	Key     string   `json:"key,omitempty" yaml:"key,omitempty"`         // a JSON object key anywhere in the request or response body
	Keys    []string `json:"keys,omitempty" yaml:"keys,omitempty"`       // several keys, same treatment
	Path    string   `json:"path,omitempty" yaml:"path,omitempty"`       // a body path (see PathSyntax)
	Paths   []string `json:"paths,omitempty" yaml:"paths,omitempty"`     // several paths, same treatment
	Query   string   `json:"query,omitempty" yaml:"query,omitempty"`     // a query parameter
	Regex   string   `json:"regex,omitempty" yaml:"regex,omitempty"`     // any string value (bodies, query values) containing a match
	Command string   `json:"command,omitempty" yaml:"command,omitempty"` // whole exchanges of this command (a path.Match glob): drop, or mask bodies
	Field   string   `json:"field,omitempty" yaml:"field,omitempty"`     // an exchange field: app, user, conn or note

	Commands []string          `json:"commands,omitempty" yaml:"commands,omitempty"` // only in these commands (path.Match globs, e.g. "openim/*")
	Side     string            `json:"side,omitempty" yaml:"side,omitempty"`         // Key, Regex: only "request", "response" or "query"
	Where    map[string]string `json:"where,omitempty" yaml:"where,omitempty"`       // Key, Path: only if the enclosing object has these sibling values (compared as text)
	Pattern  string            `json:"pattern,omitempty" yaml:"pattern,omitempty"`   // only values matching this regex; if it has groups, only the groups are rewritten

	Action  string   `json:"action" yaml:"action"`                       // renumber, mask or drop
	Class   string   `json:"class,omitempty" yaml:"class,omitempty"`     // placeholder name; default: the key, query parameter or field in lower case
	Classes []string `json:"classes,omitempty" yaml:"classes,omitempty"` // one class per group of Pattern/Regex; "" keeps that group as is
	Body    string   `json:"body,omitempty" yaml:"body,omitempty"`       // Command + mask: "request", "response" or "" (both)
}

// PathSyntax documents Rule.Path: dot-separated segments starting at "request" or "response"; a
// segment is a key, "*" (any one key) or "**" (any number of levels), followed by any number of
// "[n]" or "[*]" array steps. Example: "response.**.C2cMsgArray[*].MsgSeq".
const PathSyntax = "request|response|*|** . key|*|** [n]|[*] …"

// Rules is an ordered rule list.
type Rules []Rule

// RuleFile is the on-disk form of a rule set (YAML or JSON):
//
//	defaults: true   # append the protocol's default rules (Profile.Rules) after these rules
//	seq: true        # append its sequence-number rules (Profile.SeqRules) after those
//	rules:
//	  - {query: tjg_id, pattern: '^(.+)-([^-]+)$', classes: [tinyid, random], action: renumber}
//
// A bare list of rules is accepted too.
type RuleFile struct {
	Defaults bool  `json:"defaults,omitempty" yaml:"defaults,omitempty"`
	Seq      bool  `json:"seq,omitempty" yaml:"seq,omitempty"`
	Rules    Rules `json:"rules" yaml:"rules"`
}

// ParseRules reads a RuleFile (or a bare list of rules) in YAML or JSON, and checks it; the
// profile supplies what defaults and seq append.
func ParseRules(data []byte, p Profile) (Rules, error) {
	var rs Rules
	var f RuleFile
	node := yaml.Node{}
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, err
	}
	if len(node.Content) > 0 && node.Content[0].Kind == yaml.SequenceNode {
		if err := node.Decode(&rs); err != nil {
			return nil, err
		}
	} else {
		if err := node.Decode(&f); err != nil {
			return nil, err
		}
		rs = append(rs, f.Rules...)
		if f.Defaults {
			rs = append(rs, p.Rules...)
		}
		if f.Seq {
			rs = append(rs, p.SeqRules...)
		}
	}
	if _, err := rs.Compile(); err != nil {
		return nil, err
	}
	return rs, nil
}

// LoadRules reads a rule file (see ParseRules).
func LoadRules(file string, p Profile) (Rules, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	rs, err := ParseRules(b, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return rs, nil
}

// Normalizer applies compiled rules. Build one with Rules.Compile; it is safe for concurrent use.
type Normalizer struct {
	rules []*crule
	// PerCommand hands out placeholders in (conn, command, seq) order instead of (conn, seq): with
	// OrderPerCommand comparisons, the interleaving of a conn's commands must not renumber values.
	PerCommand bool
}

type crule struct {
	Rule
	idx     int
	keys    map[string]bool
	paths   [][]pseg
	cmds    []string
	pattern *regexp.Regexp // Pattern or Regex
}

// Compile checks the rules and prepares them.
func (rs Rules) Compile() (*Normalizer, error) {
	n := &Normalizer{}
	var errs []error
	for i, r := range rs {
		c, err := compileRule(i, r)
		if err != nil {
			name := r.Name
			if name != "" {
				name = " (" + name + ")"
			}
			errs = append(errs, fmt.Errorf("rule %d%s: %w", i+1, name, err))
			continue
		}
		n.rules = append(n.rules, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return n, nil
}

func compileRule(i int, r Rule) (*crule, error) {
	c := &crule{Rule: r, idx: i, cmds: r.Commands}
	matchers := 0
	if r.Key != "" || len(r.Keys) > 0 {
		matchers++
		c.keys = map[string]bool{}
		for _, k := range append([]string{r.Key}, r.Keys...) {
			if k != "" {
				c.keys[k] = true
			}
		}
	}
	if r.Path != "" || len(r.Paths) > 0 {
		matchers++
		for _, p := range append([]string{r.Path}, r.Paths...) {
			if p == "" {
				continue
			}
			ps, err := parsePath(p)
			if err != nil {
				return nil, err
			}
			c.paths = append(c.paths, ps)
		}
	}
	for _, s := range []string{r.Query, r.Regex, r.Command, r.Field} {
		if s != "" {
			matchers++
		}
	}
	if matchers != 1 {
		return nil, fmt.Errorf("needs exactly one of key(s), path(s), query, regex, command, field; has %d", matchers)
	}
	switch r.Action {
	case ActionRenumber, ActionMask, ActionDrop:
	default:
		return nil, fmt.Errorf("action %q: want renumber, mask or drop", r.Action)
	}
	switch r.Field {
	case "", "app", "user", "conn", "note":
	default:
		return nil, fmt.Errorf("field %q: want app, user, conn or note", r.Field)
	}
	if r.Field != "" && r.Action == ActionDrop {
		return nil, errors.New("a field cannot be dropped")
	}
	switch r.Side {
	case "", "request", "response", "query":
	default:
		return nil, fmt.Errorf("side %q: want request, response or query", r.Side)
	}
	switch r.Body {
	case "", "request", "response":
	default:
		return nil, fmt.Errorf("body %q: want request or response", r.Body)
	}
	if r.Command != "" {
		if _, err := path.Match(r.Command, ""); err != nil {
			return nil, fmt.Errorf("command %q: %w", r.Command, err)
		}
		if r.Action == ActionRenumber {
			return nil, errors.New("a command rule drops or masks, it cannot renumber")
		}
	}
	for _, g := range r.Commands {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("commands %q: %w", g, err)
		}
	}
	re := r.Pattern
	if r.Regex != "" {
		if r.Pattern != "" {
			return nil, errors.New("regex and pattern together: put the groups in regex")
		}
		re = r.Regex
	}
	if re != "" {
		p, err := regexp.Compile(re)
		if err != nil {
			return nil, err
		}
		c.pattern = p
		if len(r.Classes) > 0 && len(r.Classes) != p.NumSubexp() {
			return nil, fmt.Errorf("%d classes for %d groups", len(r.Classes), p.NumSubexp())
		}
	} else if len(r.Classes) > 0 {
		return nil, errors.New("classes need a pattern or regex with groups")
	}
	if c.Class == "" {
		switch {
		case r.Key != "":
			c.Class = strings.ToLower(r.Key)
		case len(r.Keys) > 0:
			c.Class = strings.ToLower(r.Keys[0])
		case r.Query != "":
			c.Class = strings.ToLower(r.Query)
		case r.Field != "":
			c.Class = r.Field
		case r.Command != "":
			c.Class = "masked"
		case len(c.paths) > 0:
			c.Class = strings.ToLower(lastKey(c.paths[0]))
		default:
			c.Class = "value"
		}
	}
	return c, nil
}

func (c *crule) inCommand(cmd string) bool {
	if len(c.cmds) == 0 {
		return true
	}
	for _, g := range c.cmds {
		if ok, _ := path.Match(g, cmd); ok {
			return true
		}
	}
	return false
}

// Normalize normalises a transcript with rules (see Normalizer.Normalize).
func Normalize(exs []Exchange, rules Rules) ([]Exchange, error) {
	n, err := rules.Compile()
	if err != nil {
		return nil, err
	}
	return n.Normalize(exs), nil
}

// Normalize returns a normalised copy of a transcript, in Seq order: dropped exchanges are gone,
// Seq is renumbered 1…N, Start and DurationMS are cleared, and the rules are applied. Placeholders
// are handed out Conn by Conn (in name order) and, within a Conn, in Seq order, so the result does
// not depend on how the Conns' traffic interleaved.
func (n *Normalizer) Normalize(exs []Exchange) []Exchange {
	out := make([]Exchange, 0, len(exs))
	for _, e := range exs {
		if n.dropped(e) {
			continue
		}
		e = e.Clone()
		e.Start, e.DurationMS = time.Time{}, 0
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	for i := range out {
		out[i].Seq = i + 1
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := out[order[a]], out[order[b]]
		if x.Conn != y.Conn {
			return x.Conn < y.Conn
		}
		if x.App != y.App {
			return x.App < y.App
		}
		if n.PerCommand && x.Command != y.Command {
			return x.Command < y.Command
		}
		return x.Seq < y.Seq
	})
	st := &nstate{n: n, nums: map[string]map[string]int{}}
	for _, i := range order {
		st.exchange(&out[i])
	}
	return out
}

func (n *Normalizer) dropped(e Exchange) bool {
	for _, r := range n.rules {
		if r.Command == "" {
			continue
		}
		if ok, _ := path.Match(r.Command, e.Command); ok && r.inCommand(e.Command) {
			return r.Action == ActionDrop
		}
	}
	return false
}

// nstate is one Normalize run: the placeholders handed out so far, per class.
type nstate struct {
	n    *Normalizer
	nums map[string]map[string]int
	e    *Exchange
}

func (s *nstate) placeholder(class, text string) string {
	m := s.nums[class]
	if m == nil {
		m = map[string]int{}
		s.nums[class] = m
	}
	k, ok := m[text]
	if !ok {
		k = len(m) + 1
		m[text] = k
	}
	return "<" + class + "-" + strconv.Itoa(k) + ">"
}

func (s *nstate) exchange(e *Exchange) {
	s.e = e
	for _, r := range s.n.rules {
		if r.Command != "" && r.Action == ActionMask && r.inCommand(e.Command) {
			if ok, _ := path.Match(r.Command, e.Command); ok {
				masked := jsonString("<" + r.Class + ">")
				if r.Body != "response" && len(e.Request) > 0 {
					e.Request = masked
				}
				if r.Body != "request" && len(e.Response) > 0 {
					e.Response = masked
				}
				break
			}
		}
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"app", &e.App}, {"user", &e.User}, {"conn", &e.Conn}, {"note", &e.Note}} {
		for _, r := range s.n.rules {
			if r.Field != f.name || !r.inCommand(e.Command) {
				continue
			}
			if nv, done := s.rewrite(r, *f.v); done {
				*f.v = text(nv)
				break
			}
		}
	}
	if len(e.Query) > 0 {
		keys := make([]string, 0, len(e.Query))
		for k := range e.Query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, drop := s.queryValue(k, e.Query[k])
			if drop {
				delete(e.Query, k)
			} else {
				e.Query[k] = v
			}
		}
	}
	if len(e.Query) == 0 {
		e.Query = nil
	}
	e.Request = s.body(e.Request, "request")
	e.Response = s.body(e.Response, "response")
}

func (s *nstate) queryValue(k, v string) (string, bool) {
	for _, r := range s.n.rules {
		byKey := r.Query == k
		byRegex := r.Regex != "" && (r.Side == "" || r.Side == "query")
		if !byKey && !byRegex || !r.inCommand(s.e.Command) {
			continue
		}
		if r.Action == ActionDrop {
			if r.pattern == nil || r.pattern.MatchString(v) {
				return "", true
			}
			continue
		}
		if nv, done := s.rewrite(r, v); done {
			return text(nv), false
		}
	}
	return v, false
}

func (s *nstate) body(raw json.RawMessage, side string) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	v, _ = s.walk(v, []cstep{{key: side}}, side, nil)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return raw
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// walk rewrites v, found at p; it returns the new value and whether to remove it.
func (s *nstate) walk(v any, p []cstep, side string, parent map[string]any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cp := append(p[:len(p):len(p)], cstep{key: k})
			nv, drop := s.member(t[k], cp, side, k, t)
			if drop {
				delete(t, k)
			} else {
				t[k] = nv
			}
		}
		return t, false
	case []any:
		out := t[:0]
		for i, x := range t {
			cp := append(p[:len(p):len(p)], cstep{idx: i, isIdx: true})
			nv, drop := s.walk(x, cp, side, nil)
			if !drop {
				out = append(out, nv)
			}
		}
		return out, false
	case string:
		return s.regexes(t, side)
	}
	return v, false
}

// member handles obj[k] at p: the first key or path rule that matches wins; otherwise descend.
func (s *nstate) member(v any, p []cstep, side, k string, obj map[string]any) (any, bool) {
	for _, r := range s.n.rules {
		if !s.keyRuleMatches(r, p, side, k, obj) {
			continue
		}
		if r.Action == ActionDrop {
			if r.pattern == nil || isScalar(v) && r.pattern.MatchString(text(v)) {
				return nil, true
			}
			continue
		}
		switch t := v.(type) {
		case []any:
			if !allScalar(t) {
				return s.walk(v, p, side, obj)
			}
			matched := false
			for i, x := range t {
				if nv, done := s.rewrite(r, x); done {
					t[i] = nv
					matched = true
				}
			}
			if matched {
				return t, false
			}
			continue
		case map[string]any:
			return s.walk(v, p, side, obj)
		default:
			if nv, done := s.rewrite(r, v); done {
				return nv, false
			}
		}
	}
	return s.walk(v, p, side, obj)
}

func (s *nstate) keyRuleMatches(r *crule, p []cstep, side, k string, obj map[string]any) bool {
	switch {
	case r.keys != nil:
		if !r.keys[k] || r.Side != "" && r.Side != side {
			return false
		}
	case r.paths != nil:
		ok := false
		for _, ps := range r.paths {
			if matchPath(ps, p) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	default:
		return false
	}
	if !r.inCommand(s.e.Command) {
		return false
	}
	for wk, wv := range r.Where {
		if x, ok := obj[wk]; !ok || !isScalar(x) || text(x) != wv {
			return false
		}
	}
	return true
}

func (s *nstate) regexes(str string, side string) (any, bool) {
	for _, r := range s.n.rules {
		if r.Regex == "" || r.Side != "" && r.Side != side || !r.inCommand(s.e.Command) || !r.pattern.MatchString(str) {
			continue
		}
		if r.Action == ActionDrop {
			return nil, true
		}
		if nv, done := s.rewrite(r, str); done {
			return nv, false
		}
	}
	return str, false
}

var (
	placeholderRE = regexp.MustCompile(`<[a-z][a-z0-9_]*(-\d+)?>`)
	letterRE      = regexp.MustCompile(`[A-Za-z]`)
)

// isNormalised says whether a string is already made of placeholders ("<tinyid-1>-<random-2>",
// "1_<random-2>"): placeholders with only digits and punctuation around them. Text that merely
// contains something like "<b>" is not.
func isNormalised(s string) bool {
	rest := placeholderRE.ReplaceAllString(s, "")
	return rest != s && !letterRE.MatchString(rest)
}

// rewrite applies r's renumber or mask to a scalar. done is false when the rule does not apply
// (its pattern does not match), so the next rule gets a chance; zero values and placeholders
// count as done and stay as they are.
func (s *nstate) rewrite(r *crule, v any) (any, bool) {
	if !isScalar(v) {
		return v, false
	}
	t := text(v)
	if r.pattern != nil && !r.pattern.MatchString(t) {
		return v, false
	}
	if isZero(v) || isNormalised(t) {
		return v, true
	}
	one := func(class, val string) string {
		if r.Action == ActionMask {
			return "<" + class + ">"
		}
		return s.placeholder(class, val)
	}
	if r.pattern == nil {
		return one(r.Class, t), true
	}
	ngroups := r.pattern.NumSubexp()
	var b strings.Builder
	last := 0
	for _, m := range r.pattern.FindAllStringSubmatchIndex(t, -1) {
		if ngroups == 0 {
			b.WriteString(t[last:m[0]])
			b.WriteString(one(r.Class, t[m[0]:m[1]]))
			last = m[1]
			continue
		}
		for g := 1; g <= ngroups; g++ {
			lo, hi := m[2*g], m[2*g+1]
			if lo < 0 || lo < last {
				continue
			}
			class := r.Class
			if len(r.Classes) > 0 {
				class = r.Classes[g-1]
			}
			if class == "" {
				continue
			}
			b.WriteString(t[last:lo])
			b.WriteString(one(class, t[lo:hi]))
			last = hi
		}
	}
	b.WriteString(t[last:])
	return b.String(), true
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

func allScalar(a []any) bool {
	for _, x := range a {
		if !isScalar(x) {
			return false
		}
	}
	return len(a) > 0
}

func isZero(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case bool:
		return !t
	case string:
		return t == ""
	case json.Number:
		f, err := t.Float64()
		return err == nil && f == 0
	}
	return false
}

// text is a scalar's text: a string itself, a number's literal, true/false, null.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	case json.Number:
		return string(t)
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// Paths.

type cstep struct {
	key   string
	idx   int
	isIdx bool
}

type pkind int

const (
	pKey pkind = iota
	pAnyKey
	pDeep
	pIdx
	pAnyIdx
)

type pseg struct {
	kind pkind
	key  string
	idx  int
}

func parsePath(p string) ([]pseg, error) {
	var out []pseg
	for _, part := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if rest != "" {
			rest = "[" + rest
		}
		switch name {
		case "":
			if rest == "" || len(out) == 0 {
				return nil, fmt.Errorf("path %q: empty segment", p)
			}
		case "*":
			out = append(out, pseg{kind: pAnyKey})
		case "**":
			out = append(out, pseg{kind: pDeep})
		default:
			out = append(out, pseg{kind: pKey, key: name})
		}
		for rest != "" {
			end := strings.IndexByte(rest, ']')
			if rest[0] != '[' || end < 0 {
				return nil, fmt.Errorf("path %q: bad index in %q", p, part)
			}
			ix := rest[1:end]
			if ix == "*" {
				out = append(out, pseg{kind: pAnyIdx})
			} else if n, err := strconv.Atoi(ix); err == nil && n >= 0 {
				out = append(out, pseg{kind: pIdx, idx: n})
			} else {
				return nil, fmt.Errorf("path %q: bad index %q", p, ix)
			}
			rest = rest[end+1:]
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("path %q is empty", p)
	}
	if s := out[0]; s.kind == pKey && s.key != "request" && s.key != "response" {
		return nil, fmt.Errorf("path %q must start with request, response, * or **", p)
	}
	return out, nil
}

func matchPath(ps []pseg, cs []cstep) bool {
	if len(ps) == 0 {
		return len(cs) == 0
	}
	switch s := ps[0]; s.kind {
	case pDeep:
		for i := 0; i <= len(cs); i++ {
			if matchPath(ps[1:], cs[i:]) {
				return true
			}
		}
		return false
	case pKey:
		return len(cs) > 0 && !cs[0].isIdx && cs[0].key == s.key && matchPath(ps[1:], cs[1:])
	case pAnyKey:
		return len(cs) > 0 && !cs[0].isIdx && matchPath(ps[1:], cs[1:])
	case pIdx:
		return len(cs) > 0 && cs[0].isIdx && cs[0].idx == s.idx && matchPath(ps[1:], cs[1:])
	case pAnyIdx:
		return len(cs) > 0 && cs[0].isIdx && matchPath(ps[1:], cs[1:])
	}
	return false
}

func lastKey(ps []pseg) string {
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].kind == pKey {
			return ps[i].key
		}
	}
	return "value"
}
