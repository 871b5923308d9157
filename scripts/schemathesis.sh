#!/usr/bin/env bash
# Property-based tests of the generated server against spec/crisp.yaml, with schemathesis.
#
#   scripts/schemathesis.sh            (from any directory)
#
# 1. Installs the pinned schemathesis (scripts/requirements-schemathesis.txt) into a venv at
#    target/schemathesis-venv, reused while the requirements file is unchanged.
# 2. Builds crisp-sandbox and starts it on a free 127.0.0.1 port in `--mode examples` (every
#    operation answers its spec example, behind the generated router's authentication, tier,
#    scope and input checks); it is stopped when the script exits, however it exits.
# 3. Runs schemathesis on every operation of the spec (all phases: examples, coverage,
#    fuzzing, stateful; positive and negative data) with four checks: no 5xx
#    (not_a_server_error), a documented status code, a documented content type, and a body
#    that matches the documented schema.
#      Pass `plugin`: every operation, as the plugin token `schemathesis:secret-key`.
#      Pass `user`: the operations whose `x-crisp-tiers` is `[user]` alone, as a user token.
#        A plugin token only ever gets `403 not_allowed` from those, so without this pass
#        their success answers would never be checked. No operation is excluded from either
#        pass; the second one only adds requests.
# 4. Prints a summary and exits non-zero if schemathesis found a failure (or could not run).
#
# Output goes to target/schemathesis/: the sandbox's log, one JUnit report per pass, and
# schemathesis' crash files (replay one with `cd target/schemathesis &&
# ../schemathesis-venv/bin/schemathesis replay ID`).
#
# Knobs (environment): SCHEMATHESIS_MAX_EXAMPLES (--max-examples, default 5: generated cases
# per operation; the examples and coverage phases add their own fixed sets), SCHEMATHESIS_WORKERS (2), SCHEMATHESIS_SEED (20240601), SCHEMATHESIS_TIME_LIMIT (seconds per
# pass, 900), SCHEMATHESIS_PASSES ("plugin user"), PYTHON (the interpreter that makes the
# venv, python3; 3.11 or later), CARGO (cargo). CARGO_TARGET_DIR is honoured as cargo does.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
spec="$root/spec/crisp.yaml"
requirements="$root/scripts/requirements-schemathesis.txt"
venv="$root/target/schemathesis-venv"
work="$root/target/schemathesis"

python="${PYTHON:-python3}"
cargo="${CARGO:-cargo}"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-5}"
workers="${SCHEMATHESIS_WORKERS:-2}"
seed="${SCHEMATHESIS_SEED:-20240601}"
time_limit="${SCHEMATHESIS_TIME_LIMIT:-900}"
passes="${SCHEMATHESIS_PASSES:-plugin user}"

# The tokens the sandbox accepts. Without scopes, a plugin token holds every plugin scope.
plugin_identifier=schemathesis
plugin_key=secret-key
user_identifier=schemathesis-user
user_key=secret-user-key

started=$SECONDS
say() { printf '== %s\n' "$*"; }
fail() { printf 'schemathesis.sh: %s\n' "$*" >&2; exit 2; }

mkdir -p "$work"

# ---------------------------------------------------------------------------------------------
say "schemathesis venv ($venv)"
stamp="$venv/.requirements-schemathesis.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -x "$venv/bin/schemathesis" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "up to date"
else
    command -v "$python" >/dev/null || fail "no $python: install Python 3.11 or later, or set PYTHON"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || fail "$python is $("$python" --version 2>&1); schemathesis needs Python 3.11 or later (set PYTHON)"
    if [[ ! -x "$venv/bin/python" ]]; then
        rm -rf "$venv"
        # Debian's python3 lacks ensurepip unless python3-venv is installed: then make the venv
        # without pip and let the system pip install into it (`pip --python`, pip 22.3+).
        if ! "$python" -m venv "$venv" >"$work/venv.log" 2>&1; then
            rm -rf "$venv"
            "$python" -m venv --without-pip "$venv" \
                || fail "cannot create a venv with $python (see $work/venv.log)"
        fi
    fi
    if "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        pip=("$venv/bin/python" -m pip)
    else
        pip=("$python" -m pip --python "$venv/bin/python")
    fi
    rm -f "$stamp"
    "${pip[@]}" install --disable-pip-version-check --no-input --quiet -r "$requirements"
    echo "$wanted" >"$stamp"
fi
schemathesis="$venv/bin/schemathesis"
# Python 3.11 (Debian's) keeps the AST constructor's recursion depth in state shared by all
# threads, so two threads in ast.parse at once can fail with "SystemError: AST constructor
# recursion depth mismatch" (python/cpython#106905). Hypothesis ast.parse-s the source of the
# lambdas it describes, from both schemathesis workers at once, and a run then ends with a
# runtime error in a random operation (seen here once, on GET /plugin/connect/websites/all/...).
# A .pth file in the venv makes ast.parse take a lock, so those parses run one at a time.
site_packages="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cat >"$site_packages/_crisp_ast_lock.py" <<'PY'
"""Serializes ast.parse across threads; written by scripts/schemathesis.sh (see there)."""
import ast
import threading

_lock = threading.RLock()
_parse = ast.parse


def parse(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = parse
PY
echo "import _crisp_ast_lock" >"$site_packages/_crisp_ast_lock.pth"
"$schemathesis" --version

# ---------------------------------------------------------------------------------------------
say "build crisp-sandbox"
# The binary's path comes from cargo itself, so CARGO_TARGET_DIR or a configured target-dir
# are followed.
sandbox="$(cd "$root" && "$cargo" build -p crisp-sandbox --message-format=json-render-diagnostics \
    | "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "crisp-sandbox" and message.get("executable"):
        print(message["executable"])
')"
[[ -x "$sandbox" ]] || fail "cargo did not report the crisp-sandbox binary"

# ---------------------------------------------------------------------------------------------
say "start crisp-sandbox --mode examples"
sandbox_pid=""
sandbox_log="$work/sandbox.log"

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
# schemathesis runs in the background while the script waits for it, so that a signal reaches
# these traps at once (bash runs a trap only after the foreground command ends).
runner_pid=""
cleanup() {
    if [[ -n "$runner_pid" ]]; then
        kill -TERM "$runner_pid" 2>/dev/null || true
        wait "$runner_pid" 2>/dev/null || true
        runner_pid=""
    fi
    stop_sandbox
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$venv/bin/python" -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
'
}

# Another process may take the free port before the sandbox binds it: then the sandbox exits
# and the next attempt takes another port.
port=""
for attempt in 1 2 3; do
    candidate="$(free_port)"
    "$sandbox" --listen "127.0.0.1:$candidate" --mode examples \
        --token "plugin:$plugin_identifier:$plugin_key" \
        --token "user:$user_identifier:$user_key" \
        </dev/null >"$sandbox_log" 2>&1 &
    sandbox_pid=$!
    # Ready when the port answers while the sandbox still runs; at most 30 s.
    for _ in $(seq 300); do
        kill -0 "$sandbox_pid" 2>/dev/null || break
        if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && kill -0 "$sandbox_pid" 2>/dev/null; then
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
echo "listening at $base_url (pid $sandbox_pid, log $sandbox_log)"

# ---------------------------------------------------------------------------------------------
# schemathesis finds schemathesis.toml in its working directory or any parent, and keeps its
# example database (.hypothesis) and crash files (.schemathesis) in the working directory: it
# runs in $work with an explicit, empty configuration file, and without the example database
# (which would replay earlier runs' examples and make a run depend on the ones before it).
config="$work/schemathesis.toml"
echo "# Empty on purpose: scripts/schemathesis.sh passes every setting on the command line." >"$config"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance

run_pass() { # NAME USER:KEY TIER [FILTER...]
    local name=$1 credentials=$2 tier=$3
    shift 3
    say "schemathesis, pass $name (X-Crisp-Tier: $tier)"
    local status=0
    rm -f "$work/junit-$name.xml"
    (cd "$work" && exec timeout --kill-after=30 "$time_limit" \
        "$schemathesis" --config-file "$config" run "$spec" \
        --url "$base_url" \
        --auth "$credentials" \
        --header "X-Crisp-Tier: $tier" \
        --checks "$checks" \
        --mode all \
        --max-examples "$max_examples" \
        --workers "$workers" \
        --seed "$seed" \
        --generation-database none \
        --request-timeout 10 \
        --no-color \
        --report junit --report-junit-path "$work/junit-$name.xml" \
        "$@" </dev/null) &
    runner_pid=$!
    wait "$runner_pid" || status=$?
    runner_pid=""
    if [[ $status -eq 124 ]]; then
        echo "pass $name: stopped after the ${time_limit}s time limit" >&2
    fi
    results+=("$name:$status")
}

results=()
failed=0
for pass in $passes; do
    case "$pass" in
        plugin) run_pass plugin "$plugin_identifier:$plugin_key" plugin ;;
        user) run_pass user "$user_identifier:$user_key" user --include-by '/x-crisp-tiers == ["user"]' ;;
        *) fail "unknown pass '$pass' in SCHEMATHESIS_PASSES (known: plugin user)" ;;
    esac
done
stop_sandbox

# ---------------------------------------------------------------------------------------------
say "summary"
total_passed=0
total_failed=0
for result in "${results[@]}"; do
    name=${result%%:*}
    status=${result##*:}
    junit="$work/junit-$name.xml"
    passed=0
    failing=0
    listing=()
    if [[ -f "$junit" ]]; then
        # First line: passed and failing operation counts; then one line per failing operation.
        mapfile -t listing < <("$venv/bin/python" - "$junit" <<'EOF2'
import re
import sys
import xml.etree.ElementTree as ET
passed, failing = 0, []
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    bad = case.findall("failure") + case.findall("error")
    if bad:
        codes = sorted({code for b in bad for code in re.findall(r"ST\d+", b.get("message") or "")}) or ["error"]
        failing.append(f"  failing: {case.get('name')} [{', '.join(codes)}]")
    else:
        passed += 1
print(passed, len(failing))
print("\n".join(failing))
EOF2
        )
        read -r passed failing <<<"${listing[0]:-0 0}"
    fi
    echo "pass $name: schemathesis exit status $status; operations: $passed passed, $failing failed"
    printf '%s\n' "${listing[@]:1}" | grep -v '^$' || true
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failing))
    if [[ $status -ne 0 ]]; then
        failed=1
        # A non-zero status with no failing operation (a crash, a time-out, a bad flag) still
        # counts as one failure.
        if [[ $failing -eq 0 ]]; then
            total_failed=$((total_failed + 1))
        fi
    fi
done
echo "reports: $work/junit-*.xml; sandbox log: $sandbox_log; seed $seed; $((SECONDS - started)) s"
echo "schemathesis: $total_passed passed, $total_failed failed"
exit "$failed"
