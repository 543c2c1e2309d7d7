#!/usr/bin/env bash
# Scrutineer's quickstart: one ballot of an ETSI ISG, from an empty server
# to an audit bundle that verifies, in a few seconds once the binary is built.
#
#   examples/quickstart.sh                               # builds with cargo --release
#   SCRUTINEER=target/debug/scrutineer examples/quickstart.sh
#   QUICKSTART_KEEP=1 examples/quickstart.sh             # keep the working directory
#
# It starts a throw-away server on a simulated clock (2026-01-05 09:00 UTC)
# in a temporary directory, then, as the secretariat, registers group ETI:
# its organisations, their delegates with keys made by `scrutineer keygen`,
# a chair, four plenaries and their attendance (a CSV import). The chair
# announces a Group Specification approval vote by correspondence with
# `scrutineer announce`; the clock moves 30 days; delegates vote with
# `scrutineer vote`; one delegate checks a receipt; the clock moves past the
# close; the server tallies; the chair certifies with `scrutineer certify`;
# a participant appeals (`scrutineer appeal`) and the reviewer upholds the
# result (`scrutineer decide`); `scrutineer export` writes the audit bundle
# and `scrutineer verify` re-derives everything from it under the log key,
# with two delegates' receipts.
#
# Needs bash, curl, python3 (for reading JSON) and the scrutineer binary.
# Exits non-zero on the first failure; the server is stopped in every case.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

# ---------------------------------------------------------------- helpers

step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() {
    printf '\nerror: %s\n' "$*" >&2
    exit 1
}
# Indents a command's output so that it reads as a quotation.
quote() { sed 's/^/   | /'; }

# The binary: $SCRUTINEER if set, else a release build of this checkout.
if [ -n "${SCRUTINEER:-}" ]; then
    case "$SCRUTINEER" in
        */*) bin=$(cd "$(dirname "$SCRUTINEER")" && pwd)/$(basename "$SCRUTINEER") ;;
        *) bin=$(command -v "$SCRUTINEER") || die "SCRUTINEER=$SCRUTINEER is not on PATH" ;;
    esac
else
    echo "building scrutineer (cargo build --release; the first build takes a few minutes)"
    (cd "$root" && cargo build --release --quiet)
    bin=${CARGO_TARGET_DIR:-$root/target}/release/scrutineer
fi
[ -x "$bin" ] || die "no scrutineer binary at $bin"
for tool in curl python3; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/scrutineer-quickstart.XXXXXX")
server_pid=

cleanup() {
    status=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        # A graceful stop takes a moment; never leave the server behind.
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ]; then
        if [ -s "$work/server.log" ]; then
            echo "--- the server's log (last lines):" >&2
            tail -n 20 "$work/server.log" >&2
        fi
        printf '\nquickstart FAILED (exit status %s): the lines above say where\n' "$status" >&2
    fi
    cd /
    if [ -n "${QUICKSTART_KEEP:-}" ]; then
        echo "the working directory is kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints one field of the JSON document on standard input, e.g.
# `json_field log_key` or `json_field results.0.outcome`.
json_field() {
    python3 -c '
import json, sys
text = sys.stdin.read()
if not text:
    sys.exit(1)  # the call that should have answered has said why it failed
try:
    value = json.loads(text)
    for part in sys.argv[1].split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
except (ValueError, LookupError) as e:
    sys.exit("error: no %s in the answer %s (%r)" % (sys.argv[1], text.strip()[:200], e))
print(value if not isinstance(value, (dict, list)) else json.dumps(value))
' "$1"
}

# api METHOD PATH [JSON BODY]: calls the API as the server secretariat,
# prints the answer, and fails on anything but 2xx.
api() {
    local method=$1 path=$2 body=${3:-}
    local args=(-sS -o "$work/answer" -w '%{http_code}' -X "$method"
        -H "Authorization: Bearer $TOKEN")
    if [ -n "$body" ]; then
        args+=(-H "Content-Type: application/json" --data-binary "$body")
    fi
    local code
    code=$(curl "${args[@]}" "$S$path") || die "$method $path: curl failed"
    case "$code" in
        2??) cat "$work/answer" ;;
        *) die "$method $path answered $code: $(cat "$work/answer")" ;;
    esac
}

# scrutineer SUBCOMMAND [ARGS]: runs a client command with the flags every
# client command shares (server, group, pinned log key), echoing the command
# line a reader would type, with those flags as "${common[@]}"; its output is
# indented.
scrutineer() {
    local sub=$1
    shift
    if [ "$sub" = receipt ]; then
        # `receipt verify FILE`: the common flags after the file.
        sub="receipt $1 $2"
        shift 2
    fi
    printf '   $ scrutineer %s "${common[@]}" %s\n' "$sub" "$*"
    # shellcheck disable=SC2086 # $sub is one or three words
    "$bin" $sub "${common[@]}" "$@" 2>&1 | quote
}

# Waits (at most 30 s) until the ballot is in the given state.
wait_for_state() {
    local ballot=$1 want=$2 state=
    for _ in $(seq 300); do
        state=$(api GET "/v1/groups/ETI/ballots/$ballot" | json_field state)
        if [ "$state" = "$want" ]; then
            say "ballot $ballot is $state"
            return 0
        fi
        sleep 0.1
    done
    die "ballot $ballot is still '$state', not '$want', after 30 s"
}

# ---------------------------------------------------------------- the server

step "start a server on a simulated clock (2026-01-05 09:00 UTC) in $work"
cd "$work"
mkdir -p keys votes
RUST_LOG=warn "$bin" serve --simulated-clock --simulated-start 2026-01-05T09:00:00Z \
    --listen 127.0.0.1:0 --data-dir "$work/data" \
    >"$work/server.out" 2>"$work/server.log" &
server_pid=$!

# It listens at once, then checks every log it holds (none here) and
# prints `ready: …`: wait for both.
S=
for _ in $(seq 300); do
    S=$(sed -n 's/^listening on \(http:\/\/.*\)$/\1/p' "$work/server.out")
    [ -n "$S" ] && grep -q '^ready: ' "$work/server.out" && break
    kill -0 "$server_pid" 2>/dev/null || die "the server exited before it was ready"
    sleep 0.1
done
[ -n "$S" ] && grep -q '^ready: ' "$work/server.out" \
    || die "the server was not ready within 30 s"
TOKEN=$(sed -n 's/^secretariat token (shown once, store it now): \(scr_.*\)$/\1/p' "$work/server.out")
[ -n "$TOKEN" ] || die "the server printed no secretariat token"
printf '%s\n' "$TOKEN" >keys/secretariat.token
say "listening on $S (pid $server_pid); the secretariat token is in keys/secretariat.token"
say "every command below runs in $work"

# ---------------------------------------------------------------- the group

step "create group ETI (profile etsi-isg) and pin its log key"
api POST /v1/groups '{"id":"ETI","profile":"etsi-isg"}' >/dev/null
LOG_KEY=$(api GET /v1/groups/ETI | json_field log_key)
printf '%s\n' "$LOG_KEY" >keys/eti.vkey
say "log key: $LOG_KEY"
say "(a real group publishes it out of band; every tool below is given it:"
say " keys/eti.vkey, in common=(--server $S --group ETI --log-key keys/eti.vkey))"

step "register the organisations"
# id | class | founding | member since | name (the name stays out of the log)
organisations=(
    "cadzow|member|true|2025-03-01|Cadzow Communications"
    "cis|member|true|2025-03-01|CIS"
    "huawei|member|true|2025-03-01|Huawei Technologies"
    "netscout|member|true|2025-03-01|Netscout Systems"
    "nfr|member|true|2025-03-01|NFR"
    "exampletel|member|false|2025-05-01|Example Telecom"
    "newco|member|false|2025-11-01|Newco Labs"
    "exampleuni|participant|false|2025-03-01|Example University"
    "etsi|observer|false|2025-03-01|ETSI (the Director-General's office)"
)
for row in "${organisations[@]}"; do
    IFS='|' read -r org class founding from name <<<"$row"
    api PUT "/v1/groups/ETI/organisations/$org" \
        "{\"class\":\"$class\",\"founding\":$founding,\"from\":\"${from}T00:00:00Z\"}" >/dev/null
    kind=$class
    [ "$founding" = true ] && kind="founding member"
    say "$(printf '%-11s %-22s %-16s since %s' "$org" "$name" "$kind" "$from")"
done

step "accounts, tokens and keys: one delegate per organisation, and the chair"
# person | organisation (carol, of CIS, will chair the group)
persons=(
    "ada|cadzow" "bram|cis" "chen|huawei" "dana|netscout" "erik|nfr"
    "fiona|exampletel" "gael|newco" "hana|exampleuni" "carol|cis"
)
for row in "${persons[@]}"; do
    IFS='|' read -r person org <<<"$row"
    # The account: name and e-mail stay on the server, out of the log.
    api POST /v1/persons "{\"id\":\"$person\",\"name\":\"${person^}\",\"email\":\"$person@example.org\"}" >/dev/null
    api POST "/v1/persons/$person/tokens" '{"label":"quickstart"}' | json_field token \
        >"keys/$person.token"
    # Registered in the group, on the membership list of the organisation.
    api PUT "/v1/groups/ETI/persons/$person" "{\"organisation\":\"$org\",\"membership_list\":true}" >/dev/null
    # The person makes a key on their own machine; the secretariat registers
    # the verifier key, never the private one.
    "$bin" keygen --name "$person" --out "keys/$person.key" >"keys/$person.vkey"
    vkey=$(cat "keys/$person.vkey")
    api POST "/v1/groups/ETI/persons/$person/keys" "{\"key\":\"$vkey\"}" >/dev/null
    say "$(printf '%-6s for %-11s key %s' "$person" "$org" "$vkey")"
done

step "rita, of the Director-General's office, hears appeals (not on the membership list)"
api POST /v1/persons '{"id":"rita","name":"Rita","email":"rita@example.org"}' >/dev/null
api POST /v1/persons/rita/tokens '{"label":"quickstart"}' | json_field token >keys/rita.token
api PUT /v1/groups/ETI/persons/rita '{"organisation":"etsi","membership_list":false}' >/dev/null
"$bin" keygen --name rita --out keys/rita.key >keys/rita.vkey
api POST /v1/groups/ETI/persons/rita/keys "{\"key\":\"$(cat keys/rita.vkey)\"}" >/dev/null
api PUT /v1/groups/ETI/reviewers/rita >/dev/null
say "appeal reviewers: $(api GET /v1/groups/ETI/reviewers)"

step "appoint carol (CIS) chair of ETI"
api POST /v1/groups/ETI/chair '{"person":"carol"}' >/dev/null
chair=$(api GET /v1/groups/ETI/chair | json_field current)
[ "$chair" = carol ] || die "the chair is '$chair', not carol"
say "the chair in office: $chair"

step "meetings: the kick-off meeting and three plenaries"
# id | format | start | end | kick-off
meetings=(
    "ETI-01|face-to-face|2025-04-08T08:00:00Z|2025-04-09T16:00:00Z|true"
    "ETI-02|face-to-face|2025-09-16T08:00:00Z|2025-09-17T16:00:00Z|false"
    "ETI-03|online|2025-12-02T13:00:00Z|2025-12-02T17:00:00Z|false"
    "ETI-04|face-to-face|2026-03-10T08:00:00Z|2026-03-11T16:00:00Z|false"
)
for row in "${meetings[@]}"; do
    IFS='|' read -r meeting format start end kick_off <<<"$row"
    api PUT "/v1/groups/ETI/meetings/$meeting" \
        "{\"plenary\":true,\"format\":\"$format\",\"start\":\"$start\",\"end\":\"$end\",\"kick_off\":$kick_off}" >/dev/null
    label=plenary
    [ "$kick_off" = true ] && label="kick-off meeting"
    say "$(printf '%s  %-12s %-16s %s .. %s' "$meeting" "$format" "$label" "$start" "$end")"
done
say "ETI-04 is still to come, so the Kick-off Period (which ends with the"
say "second face-to-face plenary after the kick-off) runs through the ballot"

step "import the attendance (a registration export, as CSV)"
# Extra columns (names, e-mail addresses) are ignored and never reach the log.
cat >attendance.csv <<'CSV'
meeting,person,organisation,mode,name
ETI-01,ada,cadzow,physical,Ada
ETI-01,bram,cis,physical,Bram
ETI-01,carol,cis,physical,Carol
ETI-01,chen,huawei,remote,Chen
ETI-01,fiona,exampletel,physical,Fiona
ETI-01,hana,exampleuni,physical,Hana
ETI-02,ada,cadzow,physical,Ada
ETI-02,carol,cis,physical,Carol
ETI-02,dana,netscout,physical,Dana
ETI-02,fiona,exampletel,physical,Fiona
ETI-02,hana,exampleuni,physical,Hana
ETI-03,ada,cadzow,remote,Ada
ETI-03,chen,huawei,remote,Chen
ETI-03,gael,newco,remote,Gael
ETI-03,fiona,exampletel,remote,Fiona
CSV
code=$(curl -sS -o "$work/answer" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H "Content-Type: text/csv" --data-binary @attendance.csv \
    "$S/v1/groups/ETI/attendance/import")
case "$code" in 2??) ;; *) die "attendance import answered $code: $(cat "$work/answer")" ;; esac
records=$(($(wc -l <attendance.csv) - 1))
say "$records attendance records imported from attendance.csv, all or nothing"
say "expected at the opening: the five founding members are eligible (Kick-off"
say "Period), exampletel by attendance (2 physical of the last 3 plenaries),"
say "newco is not (1 remote attendance), exampleuni is a participant (no vote)"
size=$(api GET /v1/groups/ETI | json_field size)
say "the group's log now holds $size entries: every registry change is one"

# ---------------------------------------------------------------- the ballot

B=GS-ETI-001
common=(--server "$S" --group ETI --log-key keys/eti.vkey)

step "the chair announces $B, approval of a Group Specification, by correspondence"
say "announced now (2026-01-05 09:00), open from 2026-02-04 09:00 (30 days' notice),"
say "closing 2026-02-18 09:00; the note is signed on the chair's machine"
scrutineer announce --token-file keys/carol.token --key keys/carol.key \
    --ballot "$B" --kind correspondence \
    --opens 2026-02-04T09:00:00Z --closes 2026-02-18T09:00:00Z

step "move the clock 30 days, to the opening"
api POST /v1/clock "{\"advance_seconds\":$((30 * 86400))}" | json_field now | sed 's/^/   now: /'
wait_for_state "$B" open
eligible=$(api GET "/v1/groups/ETI/ballots/$B" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["eligible"]))')
say "eligible on the roll frozen at the opening: $eligible"
[ "$eligible" = "cadzow cis exampletel huawei netscout nfr" ] || die "not the expected roll"

# vote PERSON ORGANISATION CHOICE: a delegate votes from their own machine.
vote() {
    scrutineer vote --token-file "keys/$1.token" --key "keys/$1.key" \
        --ballot "$B" --organisation "$2" --choice "$3" --out votes
}

step "delegates vote (each signs locally; each receipt is checked on the spot)"
vote ada cadzow yes
vote bram cis yes
vote chen huawei no
vote dana netscout no
vote fiona exampletel yes

step "huawei changes its vote: the latest accepted vote counts"
vote chen huawei yes

step "newco is not on the roll as eligible: its vote is refused"
if vote gael newco yes >refused.out; then
    cat refused.out
    die "newco's vote was accepted"
fi
cat refused.out
grep -q 'refused (not-eligible)' refused.out || die "newco's vote was refused for another reason"
[ ! -e "votes/$B-main-newco.vote" ] || die "a refused vote was stored"

step "cadzow's delegate checks the receipt later: the vote is still in the log"
scrutineer receipt verify "votes/$B-main-cadzow.tlog-proof" --token-file keys/ada.token

step "move the clock 14 days, past the close; the server closes and tallies"
api POST /v1/clock "{\"advance_seconds\":$((14 * 86400))}" | json_field now | sed 's/^/   now: /'
wait_for_state "$B" tallied

step "the result"
api GET "/v1/groups/ETI/ballots/$B" | python3 -c '
import json, sys
b = json.load(sys.stdin)
for r in b["results"]:
    print("   question %s: %s (in favour %d, against %d, abstain %d, not voted %d, of %d eligible)"
          % (r["question"], r["outcome"].upper(), r["in_favour"], r["against"],
             r["abstain"], r["not_voted"], r["eligible"]))
for c in b["counted"]:
    print("   counted: %-11s %-8s signed by %s" % (c["organisation"], c["choice"], c["person"]))
'
result=$(api GET "/v1/groups/ETI/ballots/$B" | python3 -c '
import json, sys
r = json.load(sys.stdin)["results"][0]
print(r["outcome"], r["in_favour"], r["against"], r["abstain"], r["not_voted"], r["eligible"])
')
[ "$result" = "approved 4 1 0 1 6" ] || die "not the expected result: $result"

step "the chair certifies the result, signing on her machine"
say "the note binds the newest signed checkpoint (which contains the tally),"
say "the frozen roll, the tally document and each question's counts and outcome"
scrutineer certify --token-file keys/carol.token --key keys/carol.key --ballot "$B"
wait_for_state "$B" certified

step "hana (Example University, an ISG Participant) appeals the certified result"
printf 'The notice of %s was sent while our delegate was away;\nwe ask that the vote be run again.\n' "$B" >grounds.txt
scrutineer appeal --token-file keys/hana.token --key keys/hana.key \
    --ballot "$B" --against certification --grounds grounds.txt | tee appeal.out
appeal=$(sed -n "s/.*the appeal's id is \(sha256:[0-9a-f]*\).*/\1/p" appeal.out)
[ -n "$appeal" ] || die "no appeal id"
say "the chair in office is notified (a notification entry, logged with the appeal)"

step "rita, the appeal reviewer, upholds the certified result"
printf 'The notice went to everybody on the membership list, 30 days ahead\n(Article 6.2); the result stands.\n' >reasons.txt
scrutineer decide --token-file keys/rita.token --key keys/rita.key \
    --ballot "$B" --appeal "$appeal" --outcome upheld --reasons reasons.txt
annulled=$(api GET "/v1/groups/ETI/ballots/$B" | json_field annulled)
[ "$annulled" = False ] || die "the result should stand (annulled: $annulled)"

# ---------------------------------------------------------------- the audit

step "export the audit bundle (any member can)"
scrutineer export --token-file keys/dana.token --ballot "$B" --out bundle

step "verify the bundle, trusting nothing but the log key, with two delegates' receipts"
printf '   $ scrutineer verify bundle --log-key keys/eti.vkey --receipt votes/%s --receipt votes/%s\n' \
    "$B-main-cadzow.tlog-proof" "$B-main-huawei.tlog-proof"
"$bin" verify bundle --log-key keys/eti.vkey \
    --receipt "votes/$B-main-cadzow.tlog-proof" \
    --receipt "votes/$B-main-huawei.tlog-proof" >report.txt 2>&1 || {
    quote <report.txt
    die "the bundle did not verify"
}
quote <report.txt
grep -q "Certified by the chair carol" report.txt || die "the report shows no certification"
grep -q "upheld by the reviewer rita" report.txt || die "the report shows no decision"

step "stop the server"
kill -TERM "$server_pid"
wait "$server_pid" || die "the server did not stop cleanly"
server_pid=
say "stopped"

printf '\nquickstart passed: ballot %s approved and certified, an appeal heard and\ndecided, its audit bundle and two receipts verified.\n' "$B"
