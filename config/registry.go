package config

import (
	"sort"
	"sync"
)

// sections holds the names given to RegisterSection.
var sections struct {
	sync.RWMutex
	names map[string]bool
}

// coreGatewayKeys are the keys of the "gateway" object that this package
// decodes itself.
var coreGatewayKeys = []string{"maxMessageBytes", "pageSize", "separator"}

// RegisterSection declares a key that may appear under "gateway" (for
// example "auth", "audit", "cache"); the section is kept raw in
// Gateway.Sections. Call from init() of the owning package. Safe for
// concurrent use. Registering a name twice is harmless; registering ""
// or a core key (separator, maxMessageBytes, pageSize) panics.
func RegisterSection(name string) {
	if name == "" {
		panic("config: RegisterSection: empty section name")
	}
	for _, k := range coreGatewayKeys {
		if k == name {
			panic("config: RegisterSection: " + name + " is a core gateway key")
		}
	}
	sections.Lock()
	defer sections.Unlock()
	if sections.names == nil {
		sections.names = make(map[string]bool)
	}
	sections.names[name] = true
}

// gatewayKeys returns the core keys and the registered sections, sorted,
// and reports whether name is a registered section.
func gatewayKeys() (valid []string, registered map[string]bool) {
	sections.RLock()
	defer sections.RUnlock()
	registered = make(map[string]bool, len(sections.names))
	valid = append(valid, coreGatewayKeys...)
	for n := range sections.names {
		registered[n] = true
		valid = append(valid, n)
	}
	sort.Strings(valid)
	return valid, registered
}
