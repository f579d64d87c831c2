package pinning

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// FileName is the pins file in the data directory.
const FileName = "pins.json"

// Pin is what the store knows of one tool of one server.
type Pin struct {
	// SHA256 is the hash of the approved definition ("sha256:<hex>").
	SHA256 string `json:"sha256"`
	// Since is when that definition was first seen or approved.
	Since time.Time `json:"since"`
	// Pending is the hash of a changed definition waiting for approval,
	// "" when none; PendingSince is when it was first seen.
	Pending      string     `json:"pending,omitempty"`
	PendingSince *time.Time `json:"pendingSince,omitempty"`
}

// pinsFile is the file's layout.
type pinsFile struct {
	Version int                       `json:"version"`
	Servers map[string]map[string]Pin `json:"servers"` // server → tool → pin
}

// Store is the pins file. Every change is a read-modify-write under an
// exclusive lock on a companion lock file, and is written to a temporary
// file renamed over the old one, so that a running gateway and the
// `tools approve` command can change it at the same time without losing
// either's change, and a crash never leaves half a file.
type Store struct {
	path string
}

// OpenStore returns the store at path (the file need not exist yet).
func OpenStore(path string) *Store { return &Store{path: path} }

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Load reads every pin. A missing file is an empty store.
func (s *Store) Load() (map[string]map[string]Pin, error) {
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	return f.Servers, nil
}

func (s *Store) read() (*pinsFile, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &pinsFile{Version: 1, Servers: map[string]map[string]Pin{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read pins: %w", err)
	}
	f := &pinsFile{}
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("%s is not a valid pins file (%v); fix or remove it (removing it pins every tool again as it is now)", s.path, err)
	}
	if f.Servers == nil {
		f.Servers = map[string]map[string]Pin{}
	}
	return f, nil
}

// Update applies fn to the pins under the lock and writes them back when
// fn reports a change.
func (s *Store) Update(fn func(pins map[string]map[string]Pin) (changed bool, err error)) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("pins: %w", err)
	}
	lock, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("pins: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("pins: lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	f, err := s.read()
	if err != nil {
		return err
	}
	changed, err := fn(f.Servers)
	if err != nil || !changed {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("pins: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("pins: %w", err)
	}
	return nil
}

// Approve makes the pending definitions of server's tools (all of them
// when tools is empty) the approved ones. It returns the tools approved,
// and an error naming any asked-for tool with nothing pending.
func (s *Store) Approve(server string, tools []string) ([]string, error) {
	var done []string
	err := s.Update(func(pins map[string]map[string]Pin) (bool, error) {
		srv := pins[server]
		if len(tools) == 0 {
			for t, p := range srv {
				if p.Pending != "" {
					tools = append(tools, t)
				}
			}
			sort.Strings(tools)
			if len(tools) == 0 {
				return false, fmt.Errorf("no tool of server %q is waiting for approval", server)
			}
		}
		for _, t := range tools {
			p, ok := srv[t]
			if !ok || p.Pending == "" {
				return false, fmt.Errorf("tool %q of server %q is not waiting for approval (see `mcp-gateway tools pending`)", t, server)
			}
			now := time.Now().UTC()
			srv[t] = Pin{SHA256: p.Pending, Since: now}
			done = append(done, t)
		}
		return true, nil
	})
	return done, err
}

// Hash is the pin of a definition: the SHA-256 of its canonical JSON
// (object keys sorted, insignificant whitespace removed), so that a
// server that only reorders keys does not look changed.
func Hash(raw []byte) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers as written, not rounded to float64
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canon)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
