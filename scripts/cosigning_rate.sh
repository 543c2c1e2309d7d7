#!/bin/sh
# The rate of cosigning requests (docs/performance.md, "Cosigning
# requests"): a server with three local witnesses and a two-of-three
# policy, one group's log changed without pause for SECONDS seconds
# (registry changes over HTTP, one at a time), then the add-checkpoint
# requests each witness answered with a cosignature, and the
# cosigned-checkpoint entries the server logged, counted in the server's
# database. Needs curl and sqlite3.
#
#   scripts/cosigning_rate.sh path/to/scrutineer [SECONDS]
set -eu
bin=$1
seconds=${2:-60}
work=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

address() { # waits for "listening on http://ADDR" in a file, prints ADDR
    i=0
    until grep -q "listening on http://" "$1" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 300 ] || { echo "no address in $1" >&2; exit 1; }
        sleep 0.1
    done
    grep -o "listening on http://[^ ]*" "$1" | head -n1 | sed 's|listening on http://||'
}

# The group first, to learn its log key.
"$bin" serve --data-dir "$work/data" --listen 127.0.0.1:0 --origin-prefix rate.test >"$work/serve0.out" 2>/dev/null &
pid=$!; pids="$pids $pid"
s=$(address "$work/serve0.out")
token=$(grep -o 'scr_[A-Za-z0-9_-]*' "$work/serve0.out" | head -n1)
curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"id":"ETI","profile":"etsi-isg"}' "http://$s/v1/groups" >/dev/null
logkey=$(curl -sf -H "Authorization: Bearer $token" "http://$s/v1/groups/ETI" | sed 's/.*"log_key":"\([^"]*\)".*/\1/')
kill "$pid"; wait "$pid" 2>/dev/null || true

policy=""
for i in 1 2 3; do
    mkdir -p "$work/w$i"
    "$bin" keygen --name "w$i.rate.test" --out "$work/w$i/witness.key" >/dev/null
    printf 'listen 127.0.0.1:0\ndatabase witness.db\nkey witness.key\nlog %s\n' "$logkey" >"$work/w$i/witness.conf"
    "$bin" witness --config "$work/w$i/witness.conf" >"$work/w$i/out" 2>/dev/null &
    pids="$pids $!"
    a=$(address "$work/w$i/out")
    vkey=$(sed -n 's/^witness vkey //p' "$work/w$i/out")
    policy="${policy}witness w$i $vkey http://$a
"
done
printf '%sgroup g 2 w1 w2 w3\nquorum g\n' "$policy" >"$work/policy"

"$bin" serve --data-dir "$work/data" --listen 127.0.0.1:0 --origin-prefix rate.test \
    --witness-policy "$work/policy" >"$work/serve1.out" 2>/dev/null &
pids="$pids $!"
s=$(address "$work/serve1.out")
sleep 3
end=$(($(date +%s) + seconds))
n=0
while [ "$(date +%s)" -lt "$end" ]; do
    n=$((n + 1))
    curl -sf -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d '{"class":"member","founding":false,"from":"2026-01-01T00:00:00Z"}' \
        "http://$s/v1/groups/ETI/organisations/org$n" >/dev/null
done
sleep 5
db="$work/data/scrutineer.db"
[ -f "$db" ] || db=$(ls "$work"/data/*.db | head -n1)
echo "registry changes: $n in $seconds s"
echo "cosignatures kept per witness (one accepted add-checkpoint request each):"
sqlite3 "$db" "SELECT witness, COUNT(*) FROM cosigned_checkpoints GROUP BY witness" | sed 's/+.*|/: /'
echo "cosigned-checkpoint entries logged: $(sqlite3 "$db" "SELECT COUNT(*) FROM entries WHERE CAST(bytes AS TEXT) LIKE '%type cosigned-checkpoint%'")"
