#!/usr/bin/env bash
# Runs every Go test: each store and API suite on SQLite and on a throwaway
# PostgreSQL cluster, and the browser tests in Chromium (package e2e).
#
# Locally a missing PostgreSQL or Chromium skips those parts with a loud
# message; with CI=true they are required and their absence fails the run.
# Extra arguments go to `go test` (e.g. scripts/test.sh -run TestClient ./internal/store).
set -euo pipefail
cd "$(dirname "$0")/.."

loud() {
	printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
	printf '!!! %s\n' "$@" >&2
	printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}

ci=false
[ "${CI:-}" = true ] && ci=true

# PostgreSQL: a cluster of our own unless the caller gives one.
if [ -n "${VIGIE_TEST_POSTGRES_URL:-}" ]; then
	echo "test: PostgreSQL from VIGIE_TEST_POSTGRES_URL" >&2
elif bash scripts/pg-cluster.sh available; then
	pgdir=$(bash scripts/pg-cluster.sh start) || {
		loud "could not start a PostgreSQL cluster (see above)"
		exit 1
	}
	trap 'bash scripts/pg-cluster.sh stop "$pgdir"' EXIT
	trap 'exit 130' INT TERM # so that the EXIT trap runs on Ctrl+C too
	VIGIE_TEST_POSTGRES_URL=$(bash scripts/pg-cluster.sh url "$pgdir")
	export VIGIE_TEST_POSTGRES_URL
elif $ci; then
	loud "PostgreSQL (initdb, pg_ctl) not found: required with CI=true" "install it: apt-get install -y postgresql"
	exit 1
else
	loud "PostgreSQL (initdb, pg_ctl) not found: the PostgreSQL variants of the tests will be SKIPPED" \
		"install it (apt-get install -y postgresql) to run them"
fi

# Chromium: the e2e package finds it itself; say it here too, where it shows.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 &&
	! command -v google-chrome >/dev/null 2>&1 && [ -z "${VIGIE_CHROMIUM:-}" ]; then
	if $ci; then
		loud "Chromium not found: the browser tests are required with CI=true (.ci/run installs it)"
	else
		loud "Chromium not found: the browser tests (package e2e) will be SKIPPED" \
			"install it: apt-get install -y chromium"
	fi
fi

# Two packages at a time (the machine has two cores); each package's own
# parallel tests share them. The timeout is per test binary.
if [ $# -eq 0 ]; then
	set -- ./...
fi
go test -p 2 -timeout 12m "$@"
