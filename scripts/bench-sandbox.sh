#!/usr/bin/env bash
# crisp-sandbox under load, against Stoplight Prism on the same spec, in one run.
#
#   scripts/bench-sandbox.sh            (from any directory; about 2 minutes after the builds)
#
# 1. Builds crisp-sandbox (release) and installs the pinned Prism CLI from the npm registry
#    into target/bench-sandbox/prism (reused while the version is unchanged). wrk comes from
#    Debian's packages (`apt-get install wrk`).
# 2. For each mock server, `crisp-sandbox --mode examples` and `prism mock spec/crisp.yaml`:
#    the time from its start to its first answer of `getConversation`, then
#    `wrk -t2 -c20 -d$DURATION --latency` on that one route (requests/s, mean and p99
#    latency, non-2xx answers), and its resident memory before and after the load.
# 3. The stateful sandbox under a mixed load: 20 conversations are made first, then 20
#    connections send messages (POST), read the message lists and the conversations (GET)
#    and change states (PATCH) on them, round-robin. After the load the sandbox is stopped
#    with SIGTERM, which saves its state: every message answered 200 must be in the saved
#    state (no lost write; it may hold up to one more per connection, the requests in flight
#    when wrk stopped), and every answer must be a 2xx (no error).
# 4. Prints a table with the ratios, and exits non-zero when the stateful run lost a write or
#    answered an error.
#
# Knobs (environment): DURATION (wrk's -d, default 10s), CONNECTIONS (20), PRISM_VERSION
# (5.16.0), CARGO (cargo). Not in CI: Prism alone takes a quarter of a gigabyte and the load
# needs the machine to itself.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo="${CARGO:-cargo}"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-20}"
prism_version="${PRISM_VERSION:-5.16.0}"
work="$root/target/bench-sandbox"
mkdir -p "$work"

fail() { echo "bench-sandbox: $*" >&2; exit 1; }
command -v wrk >/dev/null || fail "wrk is missing (apt-get install wrk)"
command -v npm >/dev/null || fail "npm is missing"
command -v curl >/dev/null || fail "curl is missing"

echo "== building crisp-sandbox (release)"
(cd "$root" && "$cargo" build --release -p crisp-sandbox --quiet)
sandbox="$("$cargo" metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/crisp-sandbox"
[[ -x "$sandbox" ]] || fail "no sandbox binary at $sandbox"

prism_dir="$work/prism-$prism_version"
if [[ ! -x "$prism_dir/node_modules/.bin/prism" ]]; then
    echo "== installing @stoplight/prism-cli@$prism_version"
    mkdir -p "$prism_dir"
    (cd "$prism_dir" && npm install --silent --no-audit --no-fund "@stoplight/prism-cli@$prism_version" >/dev/null)
fi
prism="$prism_dir/node_modules/.bin/prism"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

website=8c842203-7ed8-4e29-a608-7cf78a7d2fcc
session=session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881
auth="Basic $(printf 'bench:bench-key' | base64)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

rss_mb() { # PID: resident memory of the process and its children, in MB
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do
        total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)))
    done
    echo $((total / 1024))
}

# Starts a server command in the background; sets $server_pid, $first_answer_s: the time until
# it answers PATH with a 2xx.
start() { # PORT PATH COMMAND...
    local port=$1 path=$2
    shift 2
    local started
    started=$(date +%s.%N)
    "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    local url="http://127.0.0.1:$port$path"
    for _ in $(seq 1 6000); do
        if curl -fsS -o /dev/null -H "authorization: $auth" -H "x-crisp-tier: plugin" "$url" 2>/dev/null; then
            first_answer_s=$(python3 -c "print(f'{$(date +%s.%N) - $started:.2f}')")
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited: $*"; }
        sleep 0.01
    done
    fail "no answer within 60 s: $*"
}

# wrk on one GET route; sets $rps, $mean_ms, $p99_ms, $errors.
load_get() { # PORT BASE
    local out="$work/wrk.txt"
    wrk -t2 -c"$connections" -d"$duration" --latency \
        -H "authorization: $auth" -H "x-crisp-tier: plugin" \
        "http://127.0.0.1:$1$2/website/$website/conversation/$session" >"$out"
    parse_wrk "$out"
}

parse_wrk() { # FILE
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$1")
    mean_ms=$(awk '$1 == "Latency" && NF >= 4 { print $2; exit }' "$1" | to_ms)
    p99_ms=$(awk '$1 == "99%" { print $2 }' "$1" | to_ms)
    errors=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$1")
}

to_ms() { # wrk's "780.00us", "1.20ms", "2.01s" on standard input, in milliseconds
    python3 -c 'import re, sys
text = sys.stdin.read().strip()
m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
value, unit = float(m.group(1)), m.group(2)
scale = {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
print(f"{value * scale:.2f}")'
}

declare -A result

echo "== crisp-sandbox --mode examples"
port=$(free_port)
# The sandbox serves the spec's server URL's `/v1`; Prism mounts the paths at the root.
start "$port" "/v1/website/$website/conversation/$session" "$sandbox" --listen "127.0.0.1:$port" --mode examples --token plugin:bench:bench-key
result[sandbox_start]=$first_answer_s
result[sandbox_rss_idle]=$(rss_mb "$server_pid")
load_get "$port" /v1
result[sandbox_rss_load]=$(rss_mb "$server_pid")
result[sandbox_rps]=$rps result[sandbox_mean]=$mean_ms result[sandbox_p99]=$p99_ms result[sandbox_errors]=$errors
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

echo "== prism mock $prism_version"
port=$(free_port)
start "$port" "/website/$website/conversation/$session" "$prism" mock --port "$port" --host 127.0.0.1 "$root/spec/crisp.yaml"
result[prism_start]=$first_answer_s
result[prism_rss_idle]=$(rss_mb "$server_pid")
load_get "$port" ""
result[prism_rss_load]=$(rss_mb "$server_pid")
result[prism_rps]=$rps result[prism_mean]=$mean_ms result[prism_p99]=$p99_ms result[prism_errors]=$errors
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

echo "== crisp-sandbox (stateful), mixed load on $connections conversations"
port=$(free_port)
state="$work/state.json"
rm -f "$state"
start "$port" "/v1/website/$website/conversations/1" "$sandbox" --listen "127.0.0.1:$port" --token plugin:bench:bench-key --state "$state"
sessions=()
for _ in $(seq 1 "$connections"); do
    sessions+=("$(curl -fsS -X POST -H "authorization: $auth" -H "x-crisp-tier: plugin" \
        "http://127.0.0.1:$port/v1/website/$website/conversation" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["session_id"])')")
done
lua="$work/mixed.lua"
{
    echo "local sessions = {$(printf '"%s",' "${sessions[@]}")}"
    cat <<LUA
local website = "$website"
local auth = "$auth"
local threads = {}

function setup(thread)
    thread:set("offset", #threads)
    table.insert(threads, thread)
end

function init(args)
    sent, failed, n = 0, 0, offset
    headers = { ["authorization"] = auth, ["x-crisp-tier"] = "plugin", ["content-type"] = "application/json" }
end

-- Round-robin over the conversations and four operations. Answers to a thread's
-- connections do not come back in the order it sent them: a message sent is known by its
-- answer, whose data is an object that starts with the new message's fingerprint (the
-- message list is an array, the others hold no fingerprint).
function request()
    n = n + 1
    local session = sessions[(n % #sessions) + 1]
    local base = "/v1/website/" .. website .. "/conversation/" .. session
    local kind = n % 4
    if kind == 0 then
        return wrk.format("POST", base .. "/message", headers,
            '{"type":"text","from":"operator","origin":"chat","content":"load ' .. n .. '"}')
    elseif kind == 1 then
        return wrk.format("GET", base .. "/messages", headers)
    elseif kind == 2 then
        local state = (n % 8 == 2) and "resolved" or "pending"
        return wrk.format("PATCH", base .. "/state", headers, '{"state":"' .. state .. '"}')
    else
        return wrk.format("GET", base, headers)
    end
end

function response(status, headers, body)
    if status < 200 or status > 299 then
        failed = failed + 1
    elseif string.find(body, '"data":{"fingerprint":', 1, true) then
        sent = sent + 1
    end
end

function done(summary, latency, requests)
    local s, f = 0, 0
    for _, thread in ipairs(threads) do
        s = s + thread:get("sent")
        f = f + thread:get("failed")
    end
    io.write(string.format("messages-answered-200: %d\nanswers-not-2xx: %d\n", s, f))
end
LUA
} >"$lua"
out="$work/wrk-mixed.txt"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port" >"$out"
parse_wrk "$out"
result[mixed_rps]=$rps result[mixed_mean]=$mean_ms result[mixed_p99]=$p99_ms
result[mixed_rss]=$(rss_mb "$server_pid")
answered=$(awk '/^messages-answered-200:/ { print $2 }' "$out")
not_2xx=$(awk '/^answers-not-2xx:/ { print $2 }' "$out")
result[mixed_errors]=$((errors + not_2xx))
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
stored=$(python3 - "$state" "$website" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
conversations = state["websites"][sys.argv[2]]["conversations"]
print(sum(1 for c in conversations.values() for m in c["messages"]
          if isinstance(m.get("content"), str) and m["content"].startswith("load ")))
PY
)

ratio_of() { python3 -c "print(f'{$1 / $2:.0f}x')"; } # A B: how many times A is B
cat <<EOF

== results ($(date -u +%Y-%m-%d), $(nproc) cores; wrk -t2 -c$connections -d$duration)
| | crisp-sandbox --mode examples | prism mock $prism_version | sandbox against prism |
| --- | --- | --- | --- |
| first answer after start | ${result[sandbox_start]} s | ${result[prism_start]} s | $(ratio_of "${result[prism_start]}" "${result[sandbox_start]}") sooner |
| requests/s (getConversation) | ${result[sandbox_rps]} | ${result[prism_rps]} | $(ratio_of "${result[sandbox_rps]}" "${result[prism_rps]}") more |
| mean latency | ${result[sandbox_mean]} ms | ${result[prism_mean]} ms | $(ratio_of "${result[prism_mean]}" "${result[sandbox_mean]}") lower |
| p99 latency | ${result[sandbox_p99]} ms | ${result[prism_p99]} ms | $(ratio_of "${result[prism_p99]}" "${result[sandbox_p99]}") lower |
| resident memory, idle / loaded | ${result[sandbox_rss_idle]} / ${result[sandbox_rss_load]} MB | ${result[prism_rss_idle]} / ${result[prism_rss_load]} MB | $(ratio_of "${result[prism_rss_load]}" "${result[sandbox_rss_load]}") less, loaded |
| errors | ${result[sandbox_errors]} | ${result[prism_errors]} | |

stateful sandbox, mixed load (POST message, GET messages, PATCH state, GET conversation on $connections conversations):
  ${result[mixed_rps]} requests/s, mean ${result[mixed_mean]} ms, p99 ${result[mixed_p99]} ms, ${result[mixed_rss]} MB resident
  errors: ${result[mixed_errors]}; messages answered 200: $answered, in the saved state: $stored
  (wrk stops with up to one request in flight per connection: the sandbox may have saved those)
EOF
[[ "${result[mixed_errors]}" -eq 0 ]] || fail "the stateful sandbox answered ${result[mixed_errors]} errors"
[[ "$stored" -ge "$answered" ]] || fail "lost writes: $answered messages answered 200, $stored saved"
[[ "$stored" -le $((answered + connections)) ]] || fail "$stored messages saved, more than the $answered answered 200 and $connections in flight"
