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

.PHONY: run test lint devstore build services redis postgres mailpit ui ui-if-missing

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

test: services mailpit ui lint
	go test -race -count=1 -timeout 30m ./...
	npm --prefix frontend test

# go vet, staticcheck, and errcheck: every error is handled (an explicit
# `_ =` says why where dropping one is right; .errcheck-excludes lists the
# calls whose error cannot happen or cannot matter).
lint:
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	go run github.com/kisielk/errcheck@$(ERRCHECK_VERSION) -exclude .errcheck-excludes ./...

services: redis postgres

# Start the local services if they are not answering (CI machines and a
# developer's machine have them installed).
redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  command -v redis-server >/dev/null || { echo "Redis is not installed: apt-get install redis-server"; exit 1; }; \
	  echo "starting Redis"; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	  for i in $$(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done; }

postgres:
	@pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || { \
	  echo "starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 100); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.1; done; }

mailpit:
	@test -x "$$(go env GOPATH)/bin/mailpit" || { echo "installing mailpit $(MAILPIT_VERSION)"; go install github.com/axllent/mailpit@$(MAILPIT_VERSION); }
