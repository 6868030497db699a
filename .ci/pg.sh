# shellcheck shell=bash disable=SC2034  # CI_PG_* are read by the caller
# .ci/pg.sh - choose (or start) a PostgreSQL server for the test suite.
#
# Sourced by .ci/run; it defines functions only and runs nothing by itself.
#
#   ci_pg_select [HOST] [PORT]
#       Sets CI_PG_URL to a connection URL the tests can start from, in order:
#         1. $TEST_DATABASE_URL, if it is already set;
#         2. postgres://postgres@HOST:PORT/test (or .../postgres), if a server
#            answers there as user postgres (default 127.0.0.1:5432);
#         3. a throwaway cluster started with initdb/pg_ctl in a mktemp dir on a
#            free port (from $CI_PG_PORT, default 55432), trust auth, with a
#            database "test" created in it.
#       Returns non-zero, with a message on stderr, if none can be had.
#   ci_pg_stop
#       Stops and removes the throwaway cluster, if one was started. Idempotent;
#       call it from an EXIT trap.
#
# Only loopback addresses are ever contacted.

CI_PG_URL=""
CI_PG_SOURCE=""       # "env", "local-server" or "throwaway"
CI_PG_TMP=""          # throwaway cluster directory (data, socket, logs)
CI_PG_CTL=""          # pg_ctl binary used to start the throwaway cluster
CI_PG_RUN_USER=""     # non-root user that owns the throwaway cluster (when we are root)

ci_pg_log() { echo "[pg] $*" >&2; }

# Path of a PostgreSQL program: on PATH first, else the newest
# /usr/lib/postgresql/<version>/bin.
ci_pg_tool() {
    local name=$1 dir
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return 0
    fi
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -rV); do
        if [ -x "$dir/$name" ]; then
            echo "$dir/$name"
            return 0
        fi
    done
    return 1
}

# True if HOST:PORT accepts a connection as user postgres to database DB.
ci_pg_answers() {
    local host=$1 port=$2 db=$3 psql pg_isready out
    if psql=$(ci_pg_tool psql); then
        out=$(PGCONNECT_TIMEOUT=5 "$psql" -X -q -w -h "$host" -p "$port" -U postgres -d "$db" \
            -tAc 'select 1' </dev/null 2>/dev/null) || return 1
        [ "$out" = 1 ]
    elif pg_isready=$(ci_pg_tool pg_isready); then
        "$pg_isready" -q -h "$host" -p "$port" -U postgres -d "$db" -t 5 </dev/null
    else
        ci_pg_log "neither psql nor pg_isready found; cannot probe $host:$port"
        return 1
    fi
}

# True if something listens on 127.0.0.1:PORT.
ci_port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Run a command as the cluster owner (a non-root user when we are root), from
# inside the cluster directory so that the user can always read its cwd.
ci_pg_as_owner() {
    if [ -n "$CI_PG_RUN_USER" ]; then
        (cd "$CI_PG_TMP" && runuser -u "$CI_PG_RUN_USER" -- "$@")
    else
        (cd "$CI_PG_TMP" && "$@")
    fi
}

# PostgreSQL refuses to run as root: when we are root, set CI_PG_RUN_USER to the
# postgres user if it exists, else to a system user made for it, and give it DIR.
ci_pg_take_owner() {
    local dir=$1
    [ "$(id -u)" = 0 ] || return 0
    if id -u postgres >/dev/null 2>&1; then
        CI_PG_RUN_USER=postgres
    else
        CI_PG_RUN_USER=ci-postgres
        if ! id -u "$CI_PG_RUN_USER" >/dev/null 2>&1; then
            useradd --system --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$CI_PG_RUN_USER"
        fi
    fi
    chown "$CI_PG_RUN_USER": "$dir"
}

ci_pg_start_throwaway() {
    local initdb port tries=0
    initdb=$(ci_pg_tool initdb) || { ci_pg_log "initdb not found (PATH, /usr/lib/postgresql/*/bin)"; return 1; }
    CI_PG_CTL=$(ci_pg_tool pg_ctl) || { ci_pg_log "pg_ctl not found (PATH, /usr/lib/postgresql/*/bin)"; return 1; }

    port=${CI_PG_PORT:-55432}
    while ci_port_in_use "$port"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 50 ]; then
            ci_pg_log "no free port in ${CI_PG_PORT:-55432}..$port"
            return 1
        fi
        port=$((port + 1))
    done

    # Always under /tmp (not $TMPDIR): the cluster owner must be able to reach
    # it, and $TMPDIR may sit under root's home.
    CI_PG_TMP=$(mktemp -d /tmp/ci-pg.XXXXXX)
    chmod 700 "$CI_PG_TMP"

    ci_pg_take_owner "$CI_PG_TMP"

    ci_pg_log "starting throwaway cluster in $CI_PG_TMP on 127.0.0.1:$port (owner: ${CI_PG_RUN_USER:-$(id -un)}, $("$initdb" --version))"
    if ! ci_pg_as_owner "$initdb" -D "$CI_PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync >"$CI_PG_TMP/initdb.log" 2>&1; then
        ci_pg_log "initdb failed:"
        cat "$CI_PG_TMP/initdb.log" >&2
        return 1
    fi
    # Loopback only; unix socket inside the temp dir; durability is not needed.
    if ! ci_pg_as_owner "$CI_PG_CTL" -D "$CI_PG_TMP/data" -l "$CI_PG_TMP/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $CI_PG_TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >"$CI_PG_TMP/pg_ctl.log" 2>&1; then
        ci_pg_log "pg_ctl start failed:"
        cat "$CI_PG_TMP/pg_ctl.log" "$CI_PG_TMP/server.log" >&2 2>/dev/null || true
        return 1
    fi
    if ! ci_pg_answers 127.0.0.1 "$port" postgres; then
        ci_pg_log "throwaway cluster started but does not answer on 127.0.0.1:$port"
        return 1
    fi
    # Mirror the usual server (database "test"); fall back to "postgres".
    local db=postgres psql
    if psql=$(ci_pg_tool psql) &&
        "$psql" -X -q -w -h 127.0.0.1 -p "$port" -U postgres -d postgres \
            -c 'CREATE DATABASE test' </dev/null >/dev/null 2>&1; then
        db="test"
    fi
    CI_PG_URL="postgres://postgres@127.0.0.1:$port/$db"
    CI_PG_SOURCE=throwaway
}

ci_pg_stop() {
    [ -n "$CI_PG_TMP" ] || return 0
    if [ -f "$CI_PG_TMP/data/postmaster.pid" ]; then
        ci_pg_log "stopping throwaway cluster in $CI_PG_TMP"
        if ! ci_pg_as_owner "$CI_PG_CTL" -D "$CI_PG_TMP/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
            local pid
            pid=$(head -n1 "$CI_PG_TMP/data/postmaster.pid" 2>/dev/null || true)
            if [ -n "$pid" ]; then
                ci_pg_log "pg_ctl stop failed; killing postmaster $pid"
                kill -9 "$pid" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf "$CI_PG_TMP"
    CI_PG_TMP=""
}

ci_pg_select() {
    local host=${1:-127.0.0.1} port=${2:-5432} db
    if [ -n "${TEST_DATABASE_URL:-}" ]; then
        CI_PG_URL=$TEST_DATABASE_URL
        CI_PG_SOURCE="env"
        ci_pg_log "using \$TEST_DATABASE_URL from the environment"
        return 0
    fi
    for db in test postgres; do
        if ci_pg_answers "$host" "$port" "$db"; then
            CI_PG_URL="postgres://postgres@$host:$port/$db"
            CI_PG_SOURCE=local-server
            ci_pg_log "server answers on $host:$port (database $db)"
            return 0
        fi
    done
    ci_pg_log "no server answers on $host:$port as user postgres; starting a throwaway cluster"
    if ci_pg_start_throwaway; then
        return 0
    fi
    ci_pg_stop
    ci_pg_log "ERROR: no PostgreSQL available: \$TEST_DATABASE_URL is unset, nothing answers on" \
        "$host:$port, and a throwaway cluster could not be started (install postgresql, or set TEST_DATABASE_URL)"
    return 1
}
