package config

import (
	"strings"
	"testing"
	"time"
)

func TestSectionDecode(t *testing.T) {
	type sec struct {
		Every   Duration `json:"every,omitempty"`
		Max     int      `json:"max,omitempty"`
		Origins []string `json:"origins,omitempty"`
	}
	cases := []struct {
		raw     string
		want    sec
		wantErr string
	}{
		{raw: `{"every":"1m30s","max":3,"origins":["a"]}`, want: sec{Every: Duration(90 * time.Second), Max: 3, Origins: []string{"a"}}},
		{raw: `{"every":2.5}`, want: sec{Every: Duration(2500 * time.Millisecond)}},
		{raw: `{}`},
		{raw: `{"evry":"1s"}`, wantErr: `f.json:3:4: gateway.x: unknown key "evry" (valid keys: every, max, origins)`},
		{raw: `{"max":"3"}`, wantErr: `f.json:3:4: gateway.x.max: expected a number, got a JSON string`},
		{raw: `{"origins":"a"}`, wantErr: `f.json:3:4: gateway.x.origins: expected a list, got a JSON string`},
		{raw: `{"every":"soon"}`, wantErr: `invalid duration "soon"`},
		{raw: `{"every":-1}`, wantErr: `invalid duration -1`},
	}
	for _, c := range cases {
		var got sec
		err := Section{Raw: []byte(c.raw), Where: "f.json:3:4"}.Decode("x", &got)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want %q", c.raw, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.raw, err)
			continue
		}
		if got.Every != c.want.Every || got.Max != c.want.Max || strings.Join(got.Origins, ",") != strings.Join(c.want.Origins, ",") {
			t.Errorf("%s: got %+v, want %+v", c.raw, got, c.want)
		}
	}
}
