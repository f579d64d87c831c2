# Build and test entry points; CI runs .ci/run, which uses these targets.
GO        ?= go
# npm's download cache for testdeps: outside the tree, so it survives fresh
# clones on the same machine and a CI system can cache it.
NPM_CACHE ?= $(or $(HOME),/tmp)/.cache/mcp-gateway/npm
# Extra flags for go test, e.g. make test GOTESTFLAGS='-run TestGateway -v'.
GOTESTFLAGS ?=

.PHONY: sysdeps all build test testdeps vet clean

all: build

## build: build the gateway binary into bin/
build:
	$(GO) build -o bin/mcp-gateway ./cmd/mcp-gateway

## testdeps: install the pinned npm test dependencies (npm ci in testdeps/);
## skipped when testdeps/node_modules already matches package.json + lockfile.
testdeps:
	@cd testdeps && if cat package.json package-lock.json | cmp -s - node_modules/.testdeps-stamp; then \
		echo "testdeps: node_modules up to date"; \
	else \
		npm ci --no-audit --no-fund --prefer-offline --cache "$(NPM_CACHE)" && \
		cat package.json package-lock.json > node_modules/.testdeps-stamp; \
	fi

## sysdeps: the Debian packages the tests run for real (Redis, PostgreSQL,
## Chromium), installed with apt when missing
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
SYSDEPS := redis-server postgresql chromium
sysdeps:
	@missing=$$(for p in $(SYSDEPS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "sysdeps: installing" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing </dev/null; fi

## test: all Go tests with the race detector (needs testdeps and sysdeps),
## then the deployment files' checks (deploy/validate, a module of its own)
test: sysdeps testdeps
	$(GO) test -race $(GOTESTFLAGS) ./...
	cd deploy/validate && $(GO) test $(GOTESTFLAGS) ./...

vet:
	$(GO) vet ./...

clean:
	rm -rf bin testdeps/node_modules
