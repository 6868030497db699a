#!/usr/bin/env bash
# .ci/schemathesis.sh - API contract tests of the running service.
#
# Builds the service (the dev profile the tests already compiled: a release build
# would add minutes of compiling for the same API), seeds a fresh SQLite database with the demo data,
# starts the service on 127.0.0.1:18080, logs in as a demo user and runs
# schemathesis against the service's own OpenAPI document
# (http://127.0.0.1:18080/openapi.json) with that user's bearer token.
#
# Deterministic: fixed seed, Hypothesis derandomized (which also means no
# example database), one
# worker, no stateful phase; Hypothesis deadlines are always off in
# schemathesis 4 and no response-time limit is set.
# Only 127.0.0.1 is contacted (plus PyPI for the first venv install).
#
# Called by .ci/run; can also be run alone: bash .ci/schemathesis.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5           # pinned exactly; bump deliberately
SEED=20240607                         # fixed seed => same test cases every run
MAX_EXAMPLES=30                       # per API operation (fuzzing phase)
ST_TIMEOUT=900                        # hard cap on the schemathesis run (s)
HEALTH_TIMEOUT=60                     # wait for /healthz (s)

HOST=127.0.0.1
PORT=18080
BASE_URL="http://$HOST:$PORT"
BIN="$ROOT/target/debug/tracing-backend"
VENV="$ROOT/target/ci-venv"
REPORT_DIR="$ROOT/target/ci-schemathesis"

# Never send loopback traffic through a proxy that may be set in the environment.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

step() { printf -- '--- %s\n' "$*"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ci-schemathesis.XXXXXX")
SERVER_LOG="$WORK/server.log"
SERVER_PID=""

server_log_tail() {
    if [ -s "$SERVER_LOG" ]; then
        echo "----- last 200 lines of the server log ($SERVER_LOG) -----" >&2
        tail -n 200 "$SERVER_LOG" >&2
        echo "----- end of server log -----" >&2
    else
        echo "(server log is empty)" >&2
    fi
}

stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        # Give it 10 s to shut down gracefully, then kill it.
        for _ in $(seq 1 20); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "ERROR: $*" >&2
    server_log_tail
    exit 1
}

# ---------------------------------------------------------------------------
step "cargo build"
cargo build
[ -x "$BIN" ] || { echo "ERROR: $BIN was not built" >&2; exit 1; }

# ---------------------------------------------------------------------------
step "schemathesis $SCHEMATHESIS_VERSION in $VENV"
if [ -x "$VENV/bin/schemathesis" ] &&
    [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" = "$SCHEMATHESIS_VERSION" ]; then
    echo "reusing existing venv"
else
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$VENV/bin/schemathesis" --version

# ---------------------------------------------------------------------------
# The service's environment; the same for seed-demo and serve.
export DATABASE_URL="sqlite://$WORK/ci.db"
export APP_ENV=development
export BIND_ADDR="$HOST:$PORT"
METRICS_PORT=18081
export METRICS_ADDR="$HOST:$METRICS_PORT"

# Fail clearly rather than test whatever else is listening on our port.
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    echo "ERROR: $HOST:$PORT is already in use; stop whatever listens there" >&2
    exit 1
fi

step "seed-demo (migrates $DATABASE_URL)"
"$BIN" seed-demo --password 'Demo-Passw0rd!' >"$WORK/seed.log" 2>&1 || {
    echo "ERROR: seed-demo failed:" >&2
    cat "$WORK/seed.log" >&2
    exit 1
}
tail -n 20 "$WORK/seed.log"

step "start the service on $BASE_URL"
"$BIN" serve >"$SERVER_LOG" 2>&1 </dev/null &
SERVER_PID=$!

step "wait for $BASE_URL/healthz (up to ${HEALTH_TIMEOUT}s)"
deadline=$((SECONDS + HEALTH_TIMEOUT))
while :; do
    code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 2 "$BASE_URL/healthz" || true)
    [ "$code" = 200 ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the service exited before answering /healthz"
    [ "$SECONDS" -lt "$deadline" ] || fail "/healthz did not answer 200 within ${HEALTH_TIMEOUT}s (last status: ${code:-none})"
    sleep 0.5
done
echo "healthy"

step "metrics on their own address, not on the API's"
curl -s --noproxy '*' --max-time 5 "http://$HOST:$METRICS_PORT/metrics" | grep -q '^http_requests_total' ||
    fail "no metrics on $HOST:$METRICS_PORT"
code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 5 "$BASE_URL/metrics" || true)
[ "$code" = 404 ] || fail "/metrics on the API's address answered $code"

step "log in as demo.health"
login_json=$(curl -s --noproxy '*' --max-time 30 -X POST "$BASE_URL/api/v1/auth/login" \
    -H 'content-type: application/json' \
    -d '{"username":"demo.health","password":"Demo-Passw0rd!"}') || fail "login request failed"
TOKEN=$(printf '%s' "$login_json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' 2>/dev/null) ||
    fail "login did not return an access_token; response: $login_json"
[ -n "$TOKEN" ] || fail "login returned an empty access_token"
echo "got a token"

# ---------------------------------------------------------------------------
# Checks: no 5xx, plus conformance of status code, content type and body
# schema to the OpenAPI document. Phases: examples, coverage and fuzzing; the
# stateful phase (which needs OpenAPI links) and the stateful checks
# (use_after_free, ensure_resource_availability, ...) are left out.
step "schemathesis run (seed $SEED, $MAX_EXAMPLES examples per operation)"
rm -rf "$REPORT_DIR"
st_args=(
    --config-file "$ROOT/.ci/schemathesis.toml"
    run "$BASE_URL/openapi.json"
    --url "$BASE_URL"
    --header "Authorization: Bearer $TOKEN"
    --checks "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    --phases "examples,coverage,fuzzing"
    --mode all
    --max-examples "$MAX_EXAMPLES"
    --seed "$SEED"
    --generation-deterministic
    --workers 1
    --suppress-health-check too_slow
    --request-timeout 30
    --report junit
    --report-dir "$REPORT_DIR"
    --no-color
)
# The config file turns schemathesis's cross-run cache off, and Hypothesis
# keeps its files in the throwaway work dir, so no state survives a run and
# nothing is written into the repository. Printed with the token hidden.
echo "+ schemathesis ${st_args[*]//$TOKEN/***}"
st_status=0
HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis" \
    timeout --kill-after=30 "$ST_TIMEOUT" "$VENV/bin/schemathesis" "${st_args[@]}" || st_status=$?

if [ "$st_status" -ne 0 ]; then
    [ "$st_status" -eq 124 ] && echo "ERROR: schemathesis did not finish within ${ST_TIMEOUT}s" >&2
    echo "ERROR: schemathesis failed (exit $st_status); JUnit report: $REPORT_DIR" >&2
    server_log_tail
    exit 1
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    fail "the service died during the schemathesis run"
fi
echo "schemathesis passed"
