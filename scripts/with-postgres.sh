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
eval "$("$here/pg-test-server.sh" start)"
trap '"$here/pg-test-server.sh" stop' EXIT
"$@"
