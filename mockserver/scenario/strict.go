package scenario

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a refused scenario, positioned at the offending key or value.
type Error struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int
	Key    string // the key's path, e.g. faults[0].reply.ErrorCode
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Line > 0 && e.Column > 0 {
		fmt.Fprintf(&b, ":%d", e.Column)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// pathError is a semantic error found after decoding, named by its path; the loader turns it
// into an Error with the position of that path's node.
type pathError struct {
	path, msg string
}

func (e *pathError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func errAt(path, format string, a ...any) error { return &pathError{path, fmt.Sprintf(format, a...)} }

// strict decodes a yaml.Node tree into Go values the way yaml.v3's KnownFields mode would, but
// reports every problem with the file, line, column and the key's path, and records where each
// path sits so later checks can point at it too. Keys come from `yaml` tags, else `json` tags.
type strict struct {
	file  string
	nodes map[string]*yaml.Node // path → value node
	keys  map[string]*yaml.Node // path → key node
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func (s *strict) fail(n *yaml.Node, path, format string, a ...any) error {
	return &Error{File: s.file, Line: n.Line, Column: n.Column, Key: path, Msg: fmt.Sprintf(format, a...)}
}

// position turns a pathError into an Error at the path's node (or its nearest recorded parent).
func (s *strict) position(err error) error {
	pe, ok := err.(*pathError)
	if !ok {
		return err
	}
	for p := pe.path; ; {
		if n := s.nodes[p]; n != nil {
			if k := s.keys[p]; k != nil && p != pe.path {
				n = k
			}
			return &Error{File: s.file, Line: n.Line, Column: n.Column, Key: pe.path, Msg: pe.msg}
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return &Error{File: s.file, Key: pe.path, Msg: pe.msg}
		}
		p = p[:i]
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

type field struct {
	name  string
	index []int
}

func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Anonymous && opts == "inline" && f.Type.Kind() == reflect.Struct {
			// An inline struct's keys belong to the enclosing mapping.
			for _, sub := range fieldsOf(f.Type) {
				out = append(out, field{sub.name, append([]int{i}, sub.index...)})
			}
			continue
		}
		if name == "" {
			name, _, _ = strings.Cut(f.Tag.Get("json"), ",")
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, field{name, []int{i}})
	}
	return out
}

func (s *strict) decode(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	s.nodes[path] = n
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && v.Kind() != reflect.Interface {
		return nil // an empty value leaves the zero value; checks catch what is required
	}
	t := v.Type()
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			return s.fail(n, path, "want a single value, got %s", kindName(n))
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			return s.fail(n, path, "%v", err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := s.decode(n, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return s.fail(n, path, "want a mapping (key: value lines), got %s", kindName(n))
		}
		fields := fieldsOf(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			j := slices.IndexFunc(fields, func(f field) bool { return f.name == k.Value })
			if j < 0 {
				names := make([]string, len(fields))
				for i, f := range fields {
					names[i] = f.name
				}
				return s.fail(k, kp, "unknown key %q (known here: %s)", k.Value, strings.Join(names, ", "))
			}
			if seen[k.Value] {
				return s.fail(k, kp, "key %q given twice", k.Value)
			}
			seen[k.Value] = true
			s.keys[kp] = k
			if err := s.decode(val, v.FieldByIndex(fields[j].index), kp); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return s.fail(n, path, "want a list, got %s", kindName(n))
		}
		sl := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := s.decode(item, sl.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(sl)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode || t.Key().Kind() != reflect.String {
			return s.fail(n, path, "want a mapping, got %s", kindName(n))
		}
		m := reflect.MakeMap(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				return s.fail(k, kp, "key %q given twice", k.Value)
			}
			s.keys[kp] = k
			e := reflect.New(t.Elem()).Elem()
			if err := s.decode(val, e, kp); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), e)
		}
		v.Set(m)
		return nil
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			return s.fail(n, path, "%v", err)
		}
		if _, err := json.Marshal(x); err != nil {
			return s.fail(n, path, "not representable as JSON (mapping keys must be strings): %v", err)
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return s.fail(n, path, "want a single value, got %s", kindName(n))
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Decode(&b) != nil {
			return s.fail(n, path, "want true or false, got %q", n.Value)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Decode(&i) != nil || v.OverflowInt(i) {
			return s.fail(n, path, "want an integer, got %q", n.Value)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		if n.Decode(&u) != nil || v.OverflowUint(u) {
			return s.fail(n, path, "want a non-negative integer, got %q", n.Value)
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return s.fail(n, path, "want a number, got %q", n.Value)
		}
		v.SetFloat(f)
	default:
		return s.fail(n, path, "cannot decode into %s", t)
	}
	return nil
}
