#!/usr/bin/env bash
# .ci/replica.sh - the read-replica tests, against a real PostgreSQL streaming replica.
#
# Starts a throwaway primary (initdb, trust auth on loopback, which allows replication
# connections) and a replica of it made with `pg_basebackup -R` on the next port, then runs
# the tests that need both (ignored in a plain `cargo test`):
#
#   TEST_DATABASE_URL=<primary> TEST_REPLICA_URL=<replica> cargo test --test api -- --ignored replica::
#
# Both clusters are stopped and removed however the script exits. Only loopback addresses
# are contacted.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=pg.sh
source "$ROOT/.ci/pg.sh"

INITDB=$(ci_pg_tool initdb)
PG_CTL=$(ci_pg_tool pg_ctl)
BASEBACKUP=$(ci_pg_tool pg_basebackup)
PSQL=$(ci_pg_tool psql)

DIR=$(mktemp -d /tmp/ci-replica.XXXXXX)
chmod 700 "$DIR"
# the helpers of pg.sh run as the owner of CI_PG_TMP; this script's clusters live in DIR
CI_PG_TMP=$DIR
ci_pg_take_owner "$DIR"
as_owner() { ci_pg_as_owner "$@"; }

stop() {
    for c in replica primary; do
        if [ -f "$DIR/$c/postmaster.pid" ]; then
            as_owner "$PG_CTL" -D "$DIR/$c" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    local port=$1
    while ci_port_in_use "$port" || ci_port_in_use $((port + 1)); do
        port=$((port + 2))
    done
    echo "$port"
}
PRIMARY_PORT=$(free_port "${CI_REPLICA_PORT:-56432}")
REPLICA_PORT=$((PRIMARY_PORT + 1))
OPTS="-c listen_addresses=127.0.0.1 -k $DIR -c fsync=off -c full_page_writes=off -c max_connections=200"

echo "[replica] primary on 127.0.0.1:$PRIMARY_PORT, replica on 127.0.0.1:$REPLICA_PORT ($DIR)"
as_owner "$INITDB" -D "$DIR/primary" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
as_owner "$PG_CTL" -D "$DIR/primary" -l "$DIR/primary.log" -w -t 60 \
    -o "$OPTS -p $PRIMARY_PORT -c wal_level=replica -c max_wal_senders=4" start >/dev/null ||
    { cat "$DIR/primary.log" >&2; exit 1; }
as_owner "$BASEBACKUP" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR/replica" -R -X stream \
    >"$DIR/basebackup.log" 2>&1 || { cat "$DIR/basebackup.log" >&2; exit 1; }
as_owner "$PG_CTL" -D "$DIR/replica" -l "$DIR/replica.log" -w -t 60 \
    -o "$OPTS -p $REPLICA_PORT -c hot_standby=on" start >/dev/null ||
    { cat "$DIR/replica.log" >&2; exit 1; }
in_recovery=$("$PSQL" -X -w -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -tAc 'SELECT pg_is_in_recovery()')
[ "$in_recovery" = t ] || { echo "[replica] the replica is not in recovery" >&2; exit 1; }

TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres" \
    TEST_REPLICA_URL="postgres://postgres@127.0.0.1:$REPLICA_PORT/postgres" \
    cargo test --test api -- --ignored replica::
