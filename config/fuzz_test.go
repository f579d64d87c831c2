package config

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("testdata/fuzz.json", data, testLookup, testHome)
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) || len(errs.List) == 0 || len(errs.List) > maxErrors {
				t.Fatalf("error without problems: %v", err)
			}
			for _, e := range errs.List {
				if e.File == "" || e.Line < 1 || e.Col < 1 || e.Msg == "" {
					t.Fatalf("problem without a position: %#v", e)
				}
			}
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		if !sort.SliceIsSorted(cfg.Servers, func(i, j int) bool { return cfg.Servers[i].Name < cfg.Servers[j].Name }) {
			t.Fatal("servers not sorted")
		}
		for _, s := range cfg.Servers {
			switch {
			case s.Transport == TransportStdio && s.Command == "":
				t.Fatalf("stdio server %q without command", s.Name)
			case s.Transport != TransportStdio && s.URL == "":
				t.Fatalf("server %q (%q) without url", s.Name, s.Transport)
			case s.Timeout <= 0:
				t.Fatalf("server %q timeout %v", s.Name, s.Timeout)
			}
		}
		_ = cfg.Dump()
	})
}
