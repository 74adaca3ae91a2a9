# The README's commands. `make run` starts Waybill on a fresh machine;
# `make test` runs every test (CI calls it through .ci/run).

# Development credentials, used only when the environment has none: they pair
# with `make devstore`. Real installs set SHOPIFY_API_KEY and SHOPIFY_API_SECRET.
SHOPIFY_API_KEY ?= waybill-dev
SHOPIFY_API_SECRET ?= waybill-dev-secret
export SHOPIFY_API_KEY SHOPIFY_API_SECRET

# The real SMTP server the email tests send to.
MAILPIT_VERSION := v1.27.11
# The linters `make lint` (part of `make test`) runs, pinned.
STATICCHECK_VERSION := v0.6.1
ERRCHECK_VERSION := v1.9.0

.PHONY: run test lint devstore build services redis sentinel postgres mailpit ui ui-if-missing ui-check compose-check fuzz

run: redis ui-if-missing
	go run . serve

devstore:
	go run ./app/shopifyfake/devstore

build: ui
	go build -o waybill .

# The embedded admin (frontend/dist is compiled into the binary).
ui:
	npm --prefix frontend ci --no-audit --no-fund
	npm --prefix frontend run build

ui-if-missing:
	@test -f frontend/dist/index.html || $(MAKE) ui

# frontend/dist is committed, so `go install` and `go build .` need no Node.
# The build is reproducible; this rebuilds it and fails when the committed
# files differ from what the committed sources build. With uncommitted
# frontend changes (a developer mid-edit) a differing build is expected: it
# says to commit frontend/dist with them instead of failing (never in CI).
ui-check: ui
	@if [ -z "$$CI" ] && [ -n "$$(git status --porcelain --untracked-files=all -- frontend ':!frontend/dist')" ]; then \
	  echo "ui-check: frontend sources have uncommitted changes; commit frontend/dist (rebuilt by make ui) with them"; \
	elif [ -n "$$(git status --porcelain --untracked-files=all -- frontend/dist)" ]; then \
	  git status --short --untracked-files=all -- frontend/dist; \
	  echo "ui-check: frontend/dist does not match its sources. Run \`make ui\` (npm --prefix frontend ci && npm --prefix frontend run build) and commit frontend/dist."; \
	  exit 1; \
	fi

# The container image and compose.yaml, built and started: Waybill answers
# /readyz on PostgreSQL and Redis, and the worker keeps running. Needs a
# Docker daemon that can pull images (.ci/run runs it where there is one).
COMPOSE := SHOPIFY_API_KEY=ci SHOPIFY_API_SECRET=ci-secret SHOPIFY_APP_URL=https://waybill.example \
	WAYBILL_ENCRYPTION_KEY=abababababababababababababababababababababababababababababababab WAYBILL_PORT=18080 docker compose
compose-check:
	$(COMPOSE) up -d --build --wait web worker
	@ok=; for i in $$(seq 60); do curl -fsS http://127.0.0.1:18080/readyz && ok=1 && break; sleep 1; done; \
	  test -n "$$($(COMPOSE) ps -q --status running worker)" || ok=; \
	  $(COMPOSE) logs --tail 50; $(COMPOSE) down -v; \
	  test -n "$$ok" || { echo "compose-check: Waybill did not become ready, or the worker stopped (logs above)"; exit 1; }

test: services mailpit ui-check lint
	go test -race -count=1 -timeout 30m ./...
	$(MAKE) fuzz
	npm --prefix frontend test

# A short run of each fuzz test of what comes from outside (the README's
# "Fuzzing" says how to run them longer). `go test -fuzz` takes one package
# and one target per run; an input that fails is written to the package's
# testdata/fuzz/ and from then on runs as a seed in every `go test`.
FUZZTIME ?= 10s
FUZZ_TARGETS := ./app/shipping:FuzzCSV ./app/shipping:FuzzDecodeJSON ./app/carrier:FuzzDetect \
	./webhooks:FuzzIntake ./app/server:FuzzSessionToken

#
# Go's fuzzing coordinator can fail a run with a bare "context deadline
# exceeded" when -fuzztime ends while a starved worker is mid-input (a race
# in internal/fuzz, seen on a loaded 2-core CI machine; it writes no failing
# input). Such a run is tried once more; a run that writes a failing input
# fails at once.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  for try in 1 2; do \
	    echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
	    if go test -run='^$$' -fuzz="^$${t#*:}\$$" -fuzztime=$(FUZZTIME) "$${t%%:*}" > .fuzz.log 2>&1; then cat .fuzz.log; break; fi; \
	    cat .fuzz.log; \
	    if [ $$try = 1 ] && grep -q 'context deadline exceeded' .fuzz.log && ! grep -q 'Failing input written' .fuzz.log; then \
	      echo "fuzz: Go's coordinator deadline race, no failing input written: trying $${t#*:} again"; continue; fi; \
	    rm -f .fuzz.log; exit 1; \
	  done; \
	done; rm -f .fuzz.log

# go vet, staticcheck, and errcheck: every error is handled (an explicit
# `_ =` says why where dropping one is right; .errcheck-excludes lists the
# calls whose error cannot happen or cannot matter).
lint:
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	go run github.com/kisielk/errcheck@$(ERRCHECK_VERSION) -exclude .errcheck-excludes ./...

services: redis sentinel postgres

# Start the local services if they are not answering (CI machines and a
# developer's machine have them installed).
redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  command -v redis-server >/dev/null || { echo "Redis is not installed: apt-get install redis-server"; exit 1; }; \
	  echo "starting Redis"; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	  for i in $$(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done; }

# The Redis failover test (app/redis/sentineltest) starts its own primary,
# replica and sentinels; it needs Debian's redis-sentinel (installed here when
# apt-get may run; otherwise it uses redis-server --sentinel, the same program).
sentinel:
	@command -v redis-sentinel >/dev/null || { \
	  echo "installing redis-sentinel"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-sentinel >/dev/null || \
	  echo "redis-sentinel could not be installed (apt-get install redis-sentinel); the failover test runs redis-server --sentinel"; }

postgres:
	@pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || { \
	  echo "starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 100); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.1; done; }

mailpit:
	@test -x "$$(go env GOPATH)/bin/mailpit" || { echo "installing mailpit $(MAILPIT_VERSION)"; go install github.com/axllent/mailpit@$(MAILPIT_VERSION); }
