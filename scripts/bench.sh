#!/usr/bin/env bash
# Runs `vigie bench startup` and `vigie bench api` on SQLite, then on a
# throwaway PostgreSQL cluster when initdb is available, then `vigie bench
# agents` (10,000 simulated agents, SQLite). docs/benchmarks.md
# records the figures. Run it on a quiet machine: the figures are the
# machine's as much as Vigie's. Extra arguments (flags both take: --clients,
# --contacts) go to every run.
set -euo pipefail
cd "$(dirname "$0")/.."
vigie=${VIGIE:-bin/vigie}
[ -x "$vigie" ] || go build -o "$vigie" ./cmd/vigie

"$vigie" bench startup "$@"
"$vigie" bench api "$@"

if bash scripts/pg-cluster.sh available; then
	pgdir=$(bash scripts/pg-cluster.sh start)
	trap 'bash scripts/pg-cluster.sh stop "$pgdir"' EXIT
	trap 'exit 130' INT TERM
	url=$(bash scripts/pg-cluster.sh url "$pgdir")
	"$vigie" bench startup --database-url "$url" "$@"
	"$vigie" bench api --database-url "$url" "$@"
else
	echo "bench: PostgreSQL (initdb) not found: PostgreSQL figures skipped" >&2
fi

"$vigie" bench agents --agents 10000
