#!/usr/bin/env bash
# Runs the three examples of crisp-examples against a local crisp-sandbox and checks them.
#
#   scripts/run-examples.sh            (from any directory)
#
# 1. Builds crisp-sandbox and the examples (`cargo build -p crisp-sandbox -p crisp-examples
#    --bins --examples`: `--examples` alone would leave out the sandbox's binary);
#    CARGO_TARGET_DIR, or a configured target-dir, is followed, since the binaries' paths
#    come from cargo itself.
# 2. Starts the sandbox (stateful, fresh state) on a free 127.0.0.1 port with a plugin token
#    holding only the scopes the examples need, and waits until it answers (at most 30 s). It
#    is stopped when the script exits, however it exits.
# 3. Seeds it with curl, through the REST routes: 25 people profiles (5 of them at "Globex
#    Corporation"), and conversations in three batches: 2 before a period, 3 inside it (with
#    2, 3 and 45 messages: the last one takes two windows of the history) and 1 after it.
#    The period's bounds are taken between the batches.
# 4. Runs the examples with CRISP_* set and checks what they print and write: walk_people
#    counts the profiles (all of them, a search, small pages, a limit); export_conversations
#    writes exactly the period's conversations to JSON Lines (every line parses, the message
#    histories are complete and in order; bounds as RFC 3339, as timestamps in seconds, as a
#    date); send_message writes into a seeded conversation and into one it creates, and the
#    state read back with curl is `resolved`. Also: a wrong key or a missing CRISP_WEBSITE_ID
#    makes an example exit non-zero with a message saying so.
# 5. Prints a summary; exits non-zero when a check failed (or a step could not run).
#
# Needs bash, curl and python3. Output of each run goes to a temporary directory, removed on
# exit unless KEEP_WORK=1 (its path is printed). CARGO (cargo) and PYTHON (python3) may be set.
set -euo pipefail
# A failure inside $(...) stops the script too.
shopt -s inherit_errexit

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo="${CARGO:-cargo}"
python="${PYTHON:-python3}"

# The token the sandbox accepts: a plugin token with the scopes the examples use, and write
# access to people profiles for the seeding.
identifier=examples-plugin
key=examples-secret-key
scopes="website:conversation:sessions=write,website:conversation:messages=write"
scopes+=",website:conversation:states=write,website:people:profiles=write"
# The website a fresh sandbox holds (crisp_sandbox::state::SEED_WEBSITE_ID).
website_id=8c842203-7ed8-4e29-a608-7cf78a7d2fcc

started=$SECONDS
say() { printf '== %s\n' "$*"; }
fail() { printf 'run-examples.sh: %s\n' "$*" >&2; exit 2; }
command -v curl >/dev/null || fail "curl is needed"
command -v "$python" >/dev/null || fail "$python is needed (set PYTHON)"

work="$(mktemp -d "${TMPDIR:-/tmp}/crisp-examples.XXXXXX")"
sandbox_pid=""
stop_sandbox() {
    if [[ -n "$sandbox_pid" ]] && kill -0 "$sandbox_pid" 2>/dev/null; then
        kill -TERM "$sandbox_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$sandbox_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    sandbox_pid=""
}
cleanup() {
    stop_sandbox
    if [[ "${KEEP_WORK:-0}" == 1 ]]; then
        echo "kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
say "build crisp-sandbox and the examples"
artifacts="$work/artifacts.tsv"
(cd "$root" && "$cargo" build -p crisp-sandbox -p crisp-examples --bins --examples \
    --message-format=json-render-diagnostics) \
    | "$python" -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable"):
        print(message["target"]["name"], message["executable"], sep="\t")
' >"$artifacts"
binary() { # NAME: the path of the binary or example NAME that cargo built
    local path
    path="$(awk -F '\t' -v name="$1" '$1 == name { print $2 }' "$artifacts" | tail -n 1)"
    [[ -x "$path" ]] || fail "cargo did not report the executable $1"
    printf '%s\n' "$path"
}
sandbox="$(binary crisp-sandbox)"
send_message="$(binary send_message)"
walk_people="$(binary walk_people)"
export_conversations="$(binary export_conversations)"

# ---------------------------------------------------------------------------------------------
say "start crisp-sandbox"
free_port() {
    "$python" -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
'
}
sandbox_log="$work/sandbox.log"
port=""
# Another process may take the free port before the sandbox binds it: then the sandbox exits
# and the next attempt takes another port.
for attempt in 1 2 3; do
    candidate="$(free_port)"
    "$sandbox" --listen "127.0.0.1:$candidate" --mode stateful \
        --token "plugin:$identifier:$key:$scopes" </dev/null >"$sandbox_log" 2>&1 &
    sandbox_pid=$!
    # Ready when an authenticated request gets its answer; at most 30 s.
    for _ in $(seq 300); do
        kill -0 "$sandbox_pid" 2>/dev/null || break
        if curl -sf -o /dev/null --max-time 2 -u "$identifier:$key" -H 'X-Crisp-Tier: plugin' \
            "http://127.0.0.1:$candidate/v1/website/$website_id/people/profiles/1"; then
            port="$candidate"
            break
        fi
        sleep 0.1
    done
    [[ -n "$port" ]] && break
    echo "attempt $attempt: the sandbox did not answer on port $candidate:" >&2
    tail -n 5 "$sandbox_log" >&2 || true
    stop_sandbox
done
[[ -n "$port" ]] || fail "crisp-sandbox did not start (log: $sandbox_log)"
base_url="http://127.0.0.1:$port/v1"
echo "listening at $base_url (pid $sandbox_pid)"

# ---------------------------------------------------------------------------------------------
say "seed people profiles and conversations"
# api METHOD PATH [JSON]: calls the sandbox and prints the answer (Crisp's envelope); stops
# the script on an HTTP error or an error envelope.
api() {
    local method=$1 path=$2 body=${3:-}
    local args=(-sS --max-time 10 -X "$method" -u "$identifier:$key" -H 'X-Crisp-Tier: plugin'
        -w '\n%{http_code}')
    if [[ -n "$body" ]]; then
        args+=(-H 'Content-Type: application/json' --data "$body")
    fi
    local answer status
    answer="$(curl "${args[@]}" "$base_url$path")" || fail "$method $path: curl failed"
    status="${answer##*$'\n'}"
    answer="${answer%$'\n'*}"
    if [[ "$status" != 2* || ! "$answer" =~ \"error\":\ *false ]]; then
        fail "$method $path: HTTP $status: ${answer:0:300}"
    fi
    printf '%s\n' "$answer"
}
data_field() { # FIELD: reads an envelope on standard input and prints its data's FIELD
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["data"][sys.argv[1]])' "$1"
}
now_ms() { "$python" -c 'import time; print(time.time_ns() // 1_000_000)'; }
# The next millisecond is surely later than the sandbox's last timestamp: a pause on each
# side of a bound keeps it strictly between the batches.
pause() { sleep 0.2; }

people_total=25
people_globex=5
for i in $(seq -w 1 "$people_total"); do
    company=""
    if ((10#$i % 5 == 0)); then
        company=', "company": {"name": "Globex Corporation"}'
    fi
    api POST "/website/$website_id/people/profile" \
        "{\"email\": \"person-$i@example.com\", \"person\": {\"nickname\": \"Person $i\"}$company}" \
        >/dev/null
done
echo "$people_total people profiles ($people_globex at Globex Corporation)"

# conversation NAME MESSAGES: creates a conversation with a visitor's nickname and e-mail and
# MESSAGES messages, alternately from the visitor and from the team; prints its session id.
conversation() {
    local name=$1 count=$2 session_id
    session_id="$(api POST "/website/$website_id/conversation" | data_field session_id)"
    api PATCH "/website/$website_id/conversation/$session_id/meta" \
        "{\"nickname\": \"$name\", \"email\": \"$name@example.com\"}" >/dev/null
    for n in $(seq 1 "$count"); do
        local from=user
        ((n % 2 == 0)) && from=operator
        api POST "/website/$website_id/conversation/$session_id/message" \
            "{\"type\": \"text\", \"from\": \"$from\", \"origin\": \"chat\", \"content\": \"$name message $n\"}" \
            >/dev/null
    done
    printf '%s\n' "$session_id"
}

# batch NAME COUNT...: one conversation per COUNT (named NAME-1, NAME-2, …, with COUNT
# messages); their session ids go into the array NAME.
batch() {
    local name=$1 n=0 count session_id
    shift
    local -n sessions=$name
    sessions=()
    for count in "$@"; do
        n=$((n + 1))
        session_id="$(conversation "$name-$n" "$count")"
        sessions+=("$session_id")
    done
}
batch before 2 2
pause
period_start="$(now_ms)"
pause
batch inside 2 3 45
inside_messages=$((2 + 3 + 45))
pause
period_end="$(now_ms)"
pause
batch after 1
conversations_total=$((${#before[@]} + ${#inside[@]} + ${#after[@]}))
echo "$conversations_total conversations: ${#before[@]} before, ${#inside[@]} inside" \
    "[$period_start, $period_end) ms ($inside_messages messages), ${#after[@]} after"

# ---------------------------------------------------------------------------------------------
export CRISP_IDENTIFIER="$identifier" CRISP_KEY="$key" CRISP_TIER=plugin
export CRISP_BASE_URL="$base_url" CRISP_WEBSITE_ID="$website_id"
unset CRISP_SESSION_ID

passed=0
failed=0
failures=()
check() { # DESCRIPTION COMMAND...: runs COMMAND, records a pass or a failure
    local description=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        printf 'ok    %s\n' "$description"
    else
        failed=$((failed + 1))
        failures+=("$description")
        printf 'FAIL  %s\n' "$description"
    fi
}
# run NAME BINARY ARGS...: runs an example, its output in $work/NAME.out and .err; shows the
# command, the start of its standard output, and its standard error when it fails. Returns
# its exit status.
run() {
    local name=$1 status=0 shown="" arg lines
    shift
    for arg in "${@:2}"; do
        [[ "$arg" =~ [[:space:]] ]] && arg="'$arg'"
        shown+=" $arg"
    done
    echo "\$ $(basename "$1")$shown"
    "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null || status=$?
    lines=$(wc -l <"$work/$name.out")
    if ((lines > 8)); then
        head -n 3 "$work/$name.out" | sed 's/^/    /'
        echo "    … ($((lines - 5)) more lines)"
        tail -n 2 "$work/$name.out" | sed 's/^/    /'
    else
        sed 's/^/    /' "$work/$name.out"
    fi
    if [[ $status -ne 0 ]]; then
        echo "    (exit status $status)"
        sed 's/^/    stderr: /' "$work/$name.err"
    fi
    return "$status"
}
# Whether file FILE has a line equal to TEXT.
has_line() { grep -qxF -- "$2" "$1"; }
# Whether file FILE has a line matching the extended regex PATTERN.
has_match() { grep -qE -- "$2" "$1"; }
# The number of lines of FILE matching PATTERN.
count_matches() { grep -cE -- "$2" "$1" || true; }

# ---------------------------------------------------------------------------------------------
say "walk_people"
profile_line='^[0-9a-f-]{36}  person-[0-9]+@example\.com +Person [0-9]+$'
if run walk_all "$walk_people"; then
    check "walk_people: reports $people_total profiles" has_line "$work/walk_all.out" "total: $people_total profiles"
    check "walk_people: prints one line per profile" \
        test "$(count_matches "$work/walk_all.out" "$profile_line")" -eq "$people_total"
else
    check "walk_people runs" false
fi
if run walk_search "$walk_people" --search globex --sort-field email --sort-order ascending; then
    check "walk_people --search globex: reports $people_globex profiles" \
        has_line "$work/walk_search.out" "total: $people_globex profiles"
    check "walk_people --search globex --sort-field email: sorted by e-mail" \
        test "$(grep -oE 'person-[0-9]+@' "$work/walk_search.out" | tr '\n' ' ')" \
        = "person-05@ person-10@ person-15@ person-20@ person-25@ "
else
    check "walk_people --search runs" false
fi
if run walk_pages "$walk_people" --per-page 7; then
    check "walk_people --per-page 7: still $people_total profiles over 4 pages" \
        has_line "$work/walk_pages.out" "total: $people_total profiles"
else
    check "walk_people --per-page runs" false
fi
if run walk_limit "$walk_people" --limit 3 --per-page 2; then
    check "walk_people --limit 3: stops after 3" has_line "$work/walk_limit.out" "total: 3 profiles"
else
    check "walk_people --limit runs" false
fi

# ---------------------------------------------------------------------------------------------
say "export_conversations"
# check_export FILE COUNT MESSAGES SESSIONS...: FILE has COUNT lines, each a JSON object of one
# of SESSIONS (all of them, once each); with MESSAGES >= 0, the lines hold MESSAGES messages
# in all, each conversation's complete (as many as seeded, per its meta name) and in order.
check_export() {
    "$python" - "$@" <<'PY'
import json, sys
path, count, messages, sessions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
lines = open(path, encoding="utf-8").read().splitlines()
problems = []
if len(lines) != count:
    problems.append(f"{len(lines)} lines, not {count}")
rows = []
for number, line in enumerate(lines, 1):
    try:
        row = json.loads(line)
    except ValueError as error:
        problems.append(f"line {number} is not JSON: {error}")
        continue
    if not isinstance(row, dict) or "session_id" not in row:
        problems.append(f"line {number} is not a conversation")
        continue
    rows.append(row)
got = sorted(row["session_id"] for row in rows)
if got != sorted(sessions):
    problems.append(f"sessions {got}, not {sorted(sessions)}")
if messages >= 0:
    total = 0
    for row in rows:
        history = row.get("messages")
        if not isinstance(history, list):
            problems.append(f"{row['session_id']}: no messages array")
            continue
        total += len(history)
        stamps = [message.get("timestamp", 0) for message in history]
        if stamps != sorted(stamps):
            problems.append(f"{row['session_id']}: messages not oldest first")
        name = row.get("meta", {}).get("nickname", "")
        texts = [message.get("content") for message in history]
        expected = [f"{name} message {n}" for n in range(1, len(history) + 1)]
        if texts != expected:
            problems.append(f"{row['session_id']}: messages {texts[:3]}…, not {expected[:3]}…")
    if total != messages:
        problems.append(f"{total} messages, not {messages}")
for problem in problems:
    print(f"    {path}: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
}
rfc3339() { # MILLIS: as an RFC 3339 date-time, UTC, to the millisecond
    "$python" -c '
import datetime, sys
millis = int(sys.argv[1])
moment = datetime.datetime.fromtimestamp(millis // 1000, datetime.timezone.utc)
moment += datetime.timedelta(milliseconds=millis % 1000)
print(moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
' "$1"
}
from="$(rfc3339 "$period_start")"
to="$(rfc3339 "$period_end")"
out="$work/period.jsonl"
if run export_period "$export_conversations" --from "$from" --to "$to" --messages --out "$out"; then
    check "export_conversations --from $from --to $to: reports ${#inside[@]} conversations, $inside_messages messages" \
        has_match "$work/export_period.out" "^exported ${#inside[@]} conversations with $inside_messages messages "
    check "export_conversations: ${#inside[@]} JSON lines, the period's conversations with complete histories" \
        check_export "$out" "${#inside[@]}" "$inside_messages" "${inside[@]}"
    check "export_conversations: leaves no .partial file" test ! -e "$out.partial"
else
    check "export_conversations (period) runs" false
fi
# The same period by creation date, bounds as Unix timestamps in milliseconds, no messages.
out="$work/created.jsonl"
if run export_created "$export_conversations" --from "$period_start" --to "$period_end" --by created --out "$out"; then
    check "export_conversations --by created: the same ${#inside[@]} conversations, no messages" \
        check_export "$out" "${#inside[@]}" -1 "${inside[@]}"
else
    check "export_conversations --by created runs" false
fi
# Everything since yesterday (a bare date), up to now (the default --to).
out="$work/all.jsonl"
yesterday="$("$python" -c '
import datetime
print(datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1))
')"
if run export_all "$export_conversations" --from "$yesterday" --out "$out"; then
    check "export_conversations --from $yesterday: all $conversations_total conversations" \
        check_export "$out" "$conversations_total" -1 "${before[@]}" "${inside[@]}" "${after[@]}"
else
    check "export_conversations (all) runs" false
fi
# An empty period (in the future) is an empty file, not an error.
out="$work/none.jsonl"
if run export_none "$export_conversations" --from "$((period_end / 1000 + 86400))" --to "$((period_end / 1000 + 2 * 86400))" --out "$out"; then
    check "export_conversations of a future day: 0 conversations, an empty file" check_export "$out" 0 -1
else
    check "export_conversations (future) runs" false
fi
if run export_bad "$export_conversations" --from yesterday --out "$work/bad.jsonl"; then
    check "export_conversations --from yesterday: refused" false
else
    check "export_conversations --from yesterday: refused, naming the accepted forms" \
        has_match "$work/export_bad.err" "is not a date: use YYYY-MM-DD"
fi

# ---------------------------------------------------------------------------------------------
say "send_message"
state_of() { # SESSION_ID: the conversation's state, read with curl
    api GET "/website/$website_id/conversation/$1/state" | data_field state
}
last_text_of() { # SESSION_ID: the text of the conversation's last message, read with curl
    api GET "/website/$website_id/conversation/$1/messages" \
        | "$python" -c 'import json, sys; print(json.load(sys.stdin)["data"][-1]["content"])'
}
# Into a seeded conversation, given by CRISP_SESSION_ID.
session="${before[0]}"
text="Thanks, your order has shipped."
if CRISP_SESSION_ID="$session" run send_existing "$send_message" --text "$text"; then
    check "send_message (CRISP_SESSION_ID): sends and confirms the conversation resolved" \
        has_line "$work/send_existing.out" "confirmed: conversation $session is resolved"
    check "send_message (CRISP_SESSION_ID): the conversation's last message is the text" \
        test "$(last_text_of "$session")" = "$text"
    check "send_message (CRISP_SESSION_ID): the sandbox says resolved" test "$(state_of "$session")" = resolved
else
    check "send_message (CRISP_SESSION_ID) runs" false
fi
# Without CRISP_SESSION_ID: a new conversation, as the visitor.
if run send_new "$send_message" --text "Hello from a visitor" --as-visitor; then
    created="$(sed -n 's/^created conversation \(session_[0-9a-f-]*\)$/\1/p' "$work/send_new.out")"
    check "send_message (no session): creates a conversation" test -n "$created"
    if [[ -n "$created" ]]; then
        check "send_message (no session): sends and confirms the conversation resolved" \
            has_line "$work/send_new.out" "confirmed: conversation $created is resolved"
        check "send_message (no session): the sandbox says resolved" test "$(state_of "$created")" = resolved
        check "send_message (no session): the message is there" \
            test "$(last_text_of "$created")" = "Hello from a visitor"
    fi
else
    check "send_message (no session) runs" false
fi

# ---------------------------------------------------------------------------------------------
say "failures are reported"
if CRISP_KEY=not-the-key run bad_key "$walk_people"; then
    check "walk_people with a wrong key: fails" false
else
    check "walk_people with a wrong key: exits non-zero, saying invalid_session (401)" \
        has_match "$work/bad_key.err" "^walk_people: error: .*invalid_session \(401\)"
    check "walk_people with a wrong key: hints at the token settings" \
        has_match "$work/bad_key.err" "^walk_people: hint: .*CRISP_KEY"
fi
if run no_website env -u CRISP_WEBSITE_ID "$send_message"; then
    check "send_message without CRISP_WEBSITE_ID: fails" false
else
    check "send_message without CRISP_WEBSITE_ID: exits non-zero, naming it" \
        has_line "$work/no_website.err" \
        "send_message: error: no website: set CRISP_WEBSITE_ID (or pass --website-id)"
fi

# ---------------------------------------------------------------------------------------------
stop_sandbox
say "summary"
if ((failed > 0)); then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "sandbox: $people_total profiles, $conversations_total conversations seeded; $((SECONDS - started)) s"
echo "run-examples: ${passed} passed, ${failed} failed"
((failed == 0))
