#!/usr/bin/env bash
# A throwaway PostgreSQL server for oncely's tests.
#
#   eval "$(scripts/pg-test-server.sh start)"   # prints: export ONCELY_TEST_DATABASE_URL=...
#   cargo test
#   scripts/pg-test-server.sh stop
#
# When ONCELY_TEST_DATABASE_URL is already set, `start` only echoes it (an
# existing server is used) and `stop` does nothing. Otherwise `start` installs
# Debian's `postgresql` if `initdb` is missing, creates a cluster in a temp dir
# (fsync off: test data only), starts it on a free loopback port and records
# where it is in $ONCELY_PG_STATE (default /tmp/oncely-pg-test.state). As root,
# the server runs as the `postgres` user.
set -euo pipefail

STATE="${ONCELY_PG_STATE:-/tmp/oncely-pg-test.state}"

log() { echo "pg-test-server: $*" >&2; }

find_bin() {
    local name="$1"
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return
    fi
    local candidate
    candidate="$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$candidate" ]]; then
        echo "$candidate"
    fi
}

ensure_installed() {
    if [[ -n "$(find_bin initdb)" ]]; then
        return
    fi
    log "initdb not found: installing Debian's postgresql"
    if [[ "$(id -u)" != 0 ]]; then
        log "not root: install postgresql yourself (apt-get install -y postgresql)"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    if [[ -z "$(find_bin initdb)" ]]; then
        log "postgresql installed but initdb is still missing"
        exit 1
    fi
}

free_port() {
    python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    if [[ -n "${ONCELY_TEST_DATABASE_URL:-}" ]]; then
        log "using the server in ONCELY_TEST_DATABASE_URL"
        echo "export ONCELY_TEST_DATABASE_URL=${ONCELY_TEST_DATABASE_URL}"
        return
    fi
    if [[ -f "$STATE" ]]; then
        # shellcheck disable=SC1090
        source "$STATE"
        if [[ -n "${PG_DATA:-}" ]] && as_pg "$(find_bin pg_ctl)" -D "$PG_DATA" status >/dev/null 2>&1; then
            log "already running on port $PG_PORT"
            echo "export ONCELY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:${PG_PORT}/postgres"
            return
        fi
        rm -f "$STATE"
    fi
    ensure_installed
    local initdb pg_ctl dir port
    initdb="$(find_bin initdb)"
    pg_ctl="$(find_bin pg_ctl)"
    # Outside root's home, so the postgres user can enter it.
    dir="$(mktemp -d /tmp/oncely-pg.XXXXXX)"
    chmod 755 "$dir"
    if [[ "$(id -u)" == 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" --shell /bin/false postgres
        chown postgres "$dir"
    fi
    port="$(free_port)"
    as_pg "$initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 || {
        log "initdb failed:"
        cat "$dir/initdb.log" >&2
        exit 1
    }
    as_pg "$pg_ctl" -D "$dir/data" -l "$dir/server.log" \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        -w start >&2 || {
        log "pg_ctl start failed:"
        cat "$dir/server.log" >&2 || true
        exit 1
    }
    printf 'PG_DATA=%q\nPG_DIR=%q\nPG_PORT=%q\n' "$dir/data" "$dir" "$port" >"$STATE"
    log "started on 127.0.0.1:$port (data in $dir)"
    echo "export ONCELY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:${port}/postgres"
}

stop() {
    if [[ ! -f "$STATE" ]]; then
        log "nothing to stop"
        return
    fi
    # shellcheck disable=SC1090
    source "$STATE"
    as_pg "$(find_bin pg_ctl)" -D "$PG_DATA" -m fast -w stop >&2 || true
    rm -rf "$PG_DIR"
    rm -f "$STATE"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
