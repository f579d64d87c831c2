package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Decode decodes the section strictly into v (a pointer to a struct whose
// json tags name the section's keys): an unknown key or a value of the
// wrong type is an error naming the file position of the section, its key
// path (gateway.<name>.<key>) and what was expected.
func (s Section) Decode(name string, v any) error {
	dec := json.NewDecoder(bytes.NewReader(s.Raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	path := "gateway." + name
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			path += "." + te.Field
		}
		return fmt.Errorf("%s: %s: expected %s, got a JSON %s", s.Where, path, describeGoType(te.Type.String()), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		key := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fmt.Errorf("%s: %s: unknown key %s (valid keys: %s)", s.Where, path, key, strings.Join(jsonKeys(v), ", "))
	}
	return fmt.Errorf("%s: %s: %v", s.Where, path, strings.TrimPrefix(err.Error(), "json: "))
}

func describeGoType(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "string" || strings.HasSuffix(t, "Duration"):
		return "a string"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "float") || strings.HasPrefix(t, "uint"):
		return "a number"
	case t == "bool":
		return "true or false"
	}
	return "an object"
}

// jsonKeys lists the json tag names of the struct v points to.
func jsonKeys(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			// An embedded struct's keys are the outer struct's.
			keys = append(keys, jsonKeys(reflect.New(f.Type).Interface())...)
			continue
		}
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	sort.Strings(keys)
	return keys
}

// Duration is a duration in a section: a string such as "30s" or "5m", or a
// number of seconds.
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 {
			return fmt.Errorf("invalid duration %q: use a positive value such as \"30s\" or \"5m\"", s)
		}
		*d = Duration(v)
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil || n < 0 {
		return fmt.Errorf("invalid duration %s: use a string such as \"30s\" or a number of seconds", b)
	}
	*d = Duration(n * float64(time.Second))
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// JSONKind names the kind of a JSON value for error messages: "an
// object", "a list", "a string", "a boolean", "null", "a number", or
// "nothing" for no value.
func JSONKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
