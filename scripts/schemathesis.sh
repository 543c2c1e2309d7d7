#!/usr/bin/env bash
# Property-based API testing with Schemathesis against the served OpenAPI
# document (GET /v1/openapi.json): every operation is called with examples,
# boundary values and fuzzed inputs, as the secretariat, and every answer
# is checked: never a 5xx, status codes, content types and bodies as the
# document says.
#
# Schemathesis is installed from PyPI into a virtual environment under
# target/ (nothing is installed system-wide). The server runs on a
# simulated clock, in a temporary data directory, listening on 127.0.0.1
# only, without write limits (thousands of the secretariat's writes would
# otherwise mostly be answered 429), and is stopped at the end. CI runs a
# bounded pass (ST_MAX_EXAMPLES=5 and a fixed seed: under a minute); a
# longer run by hand explores further.
#
# Usage: scripts/schemathesis.sh [extra `st run` options]
# Exits non-zero if either pass finds a failure; reports (JUnit) and
# Schemathesis' state go to target/schemathesis/.
# Environment: SCHEMATHESIS_VERSION (default below), ST_MAX_EXAMPLES
# (default 50), ST_SEED (default: random, printed by Schemathesis).

set -euo pipefail

cd "$(dirname "$0")/.."
version="${SCHEMATHESIS_VERSION:-4.32.5}"
venv="$PWD/target/schemathesis-venv"
# Schemathesis and Hypothesis keep their state in the working directory:
# they run from here.
reports="$PWD/target/schemathesis"

if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/st" --version | grep -q "$version"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

cargo build --quiet --bin scrutineer

data="$(mktemp -d)"
out="$data/stdout"
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT

RUST_LOG=error target/debug/scrutineer serve \
    --data-dir "$data/server" \
    --listen 127.0.0.1:0 \
    --simulated-clock --simulated-start 2026-06-01T00:00:00Z \
    --write-rate-per-person 0 --write-rate-per-address 0 \
    >"$out" &
server=$!

address=""
for _ in $(seq 1 100); do
    address="$(sed -n 's|^listening on http://||p' "$out")"
    [ -n "$address" ] && break
    sleep 0.1
done
[ -n "$address" ] || { echo "the server did not start" >&2; exit 1; }
token="$(sed -n 's|.*store it now): ||p' "$out")"
[ -n "$token" ] || { echo "no bootstrap token" >&2; exit 1; }

# Something for the generated requests to find: a group with an
# organisation, an account registered in it, and a meeting.
api() {
    curl --silent --show-error --fail --output /dev/null \
        -X "$1" "http://$address$2" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data "$3"
}
api POST /v1/groups '{"id":"g","profile":"etsi-isg"}'
api PUT /v1/groups/g/organisations/acme \
    '{"class":"member","founding":true,"from":"2026-01-01T00:00:00Z"}'
api POST /v1/persons '{"id":"alice","name":"Alice","email":"alice@example.org"}'
api PUT /v1/groups/g/persons/alice '{"organisation":"acme","membership_list":true}'
api PUT /v1/groups/g/meetings/kom \
    '{"plenary":true,"format":"face-to-face","kick_off":true,"start":"2026-02-01T09:00:00Z","end":"2026-02-01T17:00:00Z"}'

mkdir -p "$reports"
seed=()
if [ -n "${ST_SEED:-}" ]; then
    seed=(--seed "$ST_SEED")
fi
# Two passes: path parameters generated freely (mostly unknown groups,
# answered 404), then pinned to the group, person and meeting made above
# so that the requests reach the handlers' logic. Revoking tokens is left
# out: a generated call could revoke the very token the run uses, after
# which every answer would be 401.
cat >"$reports/pinned.toml" <<'TOML'
[parameters]
"path.group" = "g"
"path.person" = "alice"
"path.meeting" = "kom"
TOML
status=0
for config in "" "$reports/pinned.toml"; do
    echo "== schemathesis pass ${config:+with pinned path parameters}"
    (cd "$reports" && "$venv/bin/st" ${config:+--config-file "$config"} run "http://$address/v1/openapi.json" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
        --exclude-name "DELETE /v1/persons/{person}/tokens" \
        --phases examples,coverage,fuzzing \
        --max-examples "${ST_MAX_EXAMPLES:-50}" \
        --workers 2 \
        --report junit --report-dir "$reports" \
        --generation-database "$reports/examples" \
        "${seed[@]}" "$@") || status=$?
done
exit "$status"
