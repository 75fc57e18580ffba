#!/usr/bin/env bash
# Runs a command with ONCELY_TEST_DATABASE_URL set: the given server when it is
# already set, otherwise a throwaway one (scripts/pg-test-server.sh) started
# before and stopped after, whatever the command's outcome.
#
#   scripts/with-postgres.sh cargo test --workspace
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -n "${ONCELY_TEST_DATABASE_URL:-}" ]]; then
    exec "$@"
fi
export ONCELY_PG_STATE="${ONCELY_PG_STATE:-$(mktemp -u /tmp/oncely-pg-state.XXXXXX)}"
eval "$("$here/pg-test-server.sh" start)"
trap '"$here/pg-test-server.sh" stop' EXIT
"$@"
