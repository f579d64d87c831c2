package respcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
)

// Scope says who may be served an entry.
type Scope uint8

const (
	// Private entries are served only to the principal whose call stored
	// them: the principal is part of the key.
	Private Scope = iota
	// Shared entries are served to every principal.
	Shared
)

// String returns "private" or "shared".
func (s Scope) String() string {
	if s == Shared {
		return "shared"
	}
	return "private"
}

// KeyParts is what identifies a call's result.
type KeyParts struct {
	// Server is the backend's name and Tool the tool's exposed name
	// (server__tool), as the gateway's plugins see them. The exposed
	// name is what rules match and what clients call; it is stable for
	// a backend's tool as long as the gateway's separator setting is, and
	// a changed setting only costs misses.
	Server, Tool string
	// Scope decides whether Principal is part of the key.
	Scope Scope
	// Principal is the authenticated caller (used for Private only).
	Principal string
	// Args is the raw JSON of the call's arguments, nil when the call
	// has none (which is another key than {}).
	Args []byte
}

// keyVersion starts every key's hashed text; change it when the key's
// layout changes, so that old entries in a shared Redis are not misread.
const keyVersion = "mcpgw-respcache-v1\x00"

// KeyLen is the length of a key: 64 hex digits.
const KeyLen = 2 * sha256.Size

// Key returns the cache key of a call: the hex SHA-256 of a text made of
// keyVersion, the scope, and then, each prefixed with its length, the
// server, the tool, the principal ("" for Shared) and the canonical
// arguments (see AppendCanonical). Arguments that are equal as JSON
// values but written with other key orders or whitespace share a key.
//
// The error (arguments with no canonical form, see AppendCanonical) means
// the call must not be cached.
func Key(p KeyParts) (string, error) {
	bp := keyPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooled {
			keyPool.Put(bp)
		}
	}()
	b := append((*bp)[:0], keyVersion...)
	b = append(b, byte(p.Scope))
	b = appendField(b, p.Server)
	b = appendField(b, p.Tool)
	if p.Scope == Shared {
		b = appendField(b, "")
	} else {
		b = appendField(b, p.Principal)
	}
	if p.Args == nil {
		b = append(b, 0) // absent: no text
	} else {
		b = append(b, 1)
		var err error
		if b, err = AppendCanonical(b, p.Args); err != nil {
			*bp = b
			return "", fmt.Errorf("respcache: arguments: %w", err)
		}
	}
	*bp = b
	sum := sha256.Sum256(b)
	var h [KeyLen]byte
	hex.Encode(h[:], sum[:])
	return string(h[:]), nil
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var keyPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
