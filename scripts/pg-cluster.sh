#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks.
#
#   scripts/pg-cluster.sh start      start one; prints its directory (DIR) on stdout
#   scripts/pg-cluster.sh url DIR    print its URL (postgres://postgres@127.0.0.1:PORT/postgres)
#   scripts/pg-cluster.sh stop DIR   stop it and remove DIR
#   scripts/pg-cluster.sh available  exit 0 when initdb and pg_ctl can be found
#
# The cluster lives in a mktemp directory, listens on 127.0.0.1 only, on a free
# port, with trust authentication, and trades durability for speed (fsync off):
# it holds nothing worth keeping. PostgreSQL refuses to run as root, so when
# run as root the cluster belongs to the `postgres` user.
set -euo pipefail

log() { printf 'pg-cluster: %s\n' "$*" >&2; }

# find_bin NAME: PATH first, then Debian's versioned directories, newest first.
find_bin() {
	if command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
		return
	fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		if [ -x "$d/$1" ]; then
			echo "$d/$1"
			return
		fi
	done
	return 1
}

# as_owner CMD…: run as the cluster's owner (postgres when we are root).
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
	local initdb pg_ctl dir port attempt
	initdb=$(find_bin initdb) || { log "initdb not found (install PostgreSQL: apt-get install -y postgresql)"; return 1; }
	pg_ctl=$(find_bin pg_ctl) || { log "pg_ctl not found"; return 1; }
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		log "running as root and there is no postgres user to own the cluster"
		return 1
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/vigie-pg.XXXXXX")
	chmod 755 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	if ! as_owner "$initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
		log "initdb failed:"
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		return 1
	fi
	# A port is free when we look, but another process may take it before the
	# server binds: try a few.
	for attempt in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		port_free "$port" || continue
		if as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
			-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null; then
			echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" >"$dir/url"
			log "started on 127.0.0.1:$port in $dir"
			echo "$dir"
			return 0
		fi
		log "start on port $port failed (attempt $attempt):"
		tail -n 5 "$dir/server.log" >&2 || true
	done
	rm -rf "$dir"
	return 1
}

stop() {
	local dir=${1:?usage: pg-cluster.sh stop DIR} pg_ctl
	[ -d "$dir" ] || return 0
	case "$dir" in
	*/vigie-pg.*) ;;
	*)
		log "refusing to remove $dir: not a directory made by pg-cluster.sh start"
		return 1
		;;
	esac
	if [ -f "$dir/data/postmaster.pid" ] && pg_ctl=$(find_bin pg_ctl); then
		as_owner "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || log "pg_ctl stop failed; removing $dir anyway"
	fi
	rm -rf "$dir"
	log "stopped and removed $dir"
}

case "${1:-}" in
start) start ;;
url) cat "${2:?usage: pg-cluster.sh url DIR}/url" ;;
stop) stop "${2:-}" ;;
available) find_bin initdb >/dev/null && find_bin pg_ctl >/dev/null ;;
*)
	echo "usage: $0 start | url DIR | stop DIR | available" >&2
	exit 2
	;;
esac
