#!/usr/bin/env bash
# Runs a command with ONCELY_TEST_DATABASE_URL pointing at a PostgreSQL server:
# the one already given, or a throwaway cluster started for the command and
# stopped after it (see pg-test-server.sh).
#
#   scripts/with-postgres.sh cargo test --workspace
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -n "${ONCELY_TEST_DATABASE_URL:-}" ]]; then
    exec "$@"
fi
ONCELY_PG_STATE="$(mktemp -u /tmp/oncely-pg-state.XXXXXX)"
export ONCELY_PG_STATE
trap '"$here/pg-test-server.sh" stop' EXIT
# Assigned first, so that a server that fails to start stops the script here
# (set -e does not see a failure inside `eval "$(…)"`).
exports="$("$here/pg-test-server.sh" start)"
eval "$exports"
if [[ -z "${ONCELY_TEST_DATABASE_URL:-}" ]]; then
    echo "with-postgres: the PostgreSQL test server did not start" >&2
    exit 1
fi
"$@"
