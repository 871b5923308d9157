#!/usr/bin/env bash
# Generation and build times of this project against progenitor on the same spec, measured in
# one run on this machine and printed as ratios (the machines are shared and noisy: compare
# only figures of one run). Not part of CI: it installs cargo-progenitor and hyperfine with
# `cargo install` when they are missing, and takes about ten minutes.
#
#   bash scripts/bench-codegen.sh [RUNS]        (RUNS per measurement, default 3; medians)
#
# What it measures, each against its baseline:
#   generate   `cargo progenitor` on spec/crisp.yaml (as JSON)  vs  `cargo xtask regen`
#   build      debug build of progenitor's crate                 vs  crisp-models + crisp-client,
#              every operation (`internal`, `legacy`), dependencies prebuilt
#   check      `cargo check` of the same
#   one area   crisp-client with `website-conversation` only     vs  every public area
# Both workspaces use the same profiles (ours, copied into progenitor's workspace).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-3}
work=$root/target/bench-codegen
mkdir -p "$work"

progenitor_version=0.15.1
hyperfine_version=1.20.0
if ! cargo install --list | grep -q "^cargo-progenitor v$progenitor_version:"; then
    cargo install cargo-progenitor --version "$progenitor_version" --locked
fi
if ! cargo install --list | grep -q "^hyperfine v$hyperfine_version:"; then
    cargo install hyperfine --version "$hyperfine_version" --locked
fi
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml

echo "== machine"
echo "$(nproc) cores, $(uname -sr), $(rustc --version), cargo-progenitor $progenitor_version, $(date -u +%Y-%m-%d)"

# progenitor reads JSON; the spec's extensions (x-crisp-*) are left for it to ignore.
python3 - "$root/spec/crisp.yaml" "$work/crisp.json" <<'EOF'
import json, sys, yaml
with open(sys.argv[1]) as f:
    doc = yaml.safe_load(f)
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, default=str)
EOF

# progenitor's crate in a workspace of its own with our dev profile and target directory, so
# both sides build their dependencies once, before the measurements.
prog=$work/progenitor
rm -rf "$prog"
cargo progenitor -i "$work/crisp.json" -o "$prog" -n crisp-progenitor -v 0.1.0 >/dev/null
# The generation benchmark writes elsewhere, so that it leaves the built crate alone.
generate_progenitor="cargo progenitor -i $work/crisp.json -o $work/progenitor-again -n crisp-progenitor -v 0.1.0"
# The same profiles as ours: the debug settings, and the optimized generator dependencies
# (syn and proc-macro2 among them, which proc macros on both sides run with).
{
    printf '\n[workspace]\n\n'
    sed -n '/^\[profile\./,$p' "$root/Cargo.toml"
} >>"$prog/Cargo.toml"
export CARGO_TARGET_DIR=$work/target
cargo build -q --manifest-path "$prog/Cargo.toml"
cargo check -q --manifest-path "$prog/Cargo.toml"
ours="-p crisp-models -p crisp-client --features crisp-client/internal,crisp-client/legacy"
cargo build -q $ours
cargo check -q $ours
cargo build -q -p crisp-client --no-default-features --features website-conversation
cargo build -q -p xtask

hf() {
    local name=$1
    shift
    hyperfine --style basic --runs "$runs" --export-json "$work/$name.json" "$@"
}

echo "== generate"
# `ours` is a maintainer's `regen` on an unchanged spec: the formatted files kept by the last
# run are reused (xtask/src/memo.rs). `cold` formats every file, as a first run does.
hf generate --warmup 1 \
    -n progenitor "$generate_progenitor" \
    -n ours "cargo xtask regen" \
    -n cold "CRISP_REGEN_MEMO=off cargo xtask regen"

echo "== generation scales with the spec (synthetic specs: every area copied under new names)"
for times in 4 16; do
    python3 "$root/scripts/synthetic-spec.py" "$times" "$work/x$times.yaml"
done
# `check` generates everything `regen` does and compares it with generated/ instead of writing;
# a synthetic spec differs from generated/ (exit 1), which is expected here.
# Every file is formatted (CRISP_REGEN_MEMO=off): this measures all the work.
export CRISP_REGEN_MEMO=off
hf scale --warmup 1 -i \
    -n x1 "cargo xtask check" \
    -n x4 "cargo xtask check --spec $work/x4.yaml" \
    -n x16 "cargo xtask check --spec $work/x16.yaml"
unset CRISP_REGEN_MEMO

echo "== build (debug, every operation)"
hf build \
    -n progenitor --prepare "cargo clean -q --manifest-path $prog/Cargo.toml -p crisp-progenitor" \
    "cargo build -q --manifest-path $prog/Cargo.toml" \
    -n ours --prepare "cargo clean -q -p crisp-models -p crisp-client" \
    "cargo build -q $ours"

echo "== check (every operation)"
hf check \
    -n progenitor --prepare "cargo clean -q --manifest-path $prog/Cargo.toml -p crisp-progenitor" \
    "cargo check -q --manifest-path $prog/Cargo.toml" \
    -n ours --prepare "cargo clean -q -p crisp-models -p crisp-client" \
    "cargo check -q $ours"

echo "== one area against every public area (debug build)"
hf area \
    -n every --prepare "cargo clean -q -p crisp-models -p crisp-client" \
    "cargo build -q -p crisp-client" \
    -n one --prepare "cargo clean -q -p crisp-models -p crisp-client" \
    "cargo build -q -p crisp-client --no-default-features --features website-conversation"

echo "== rebuild of the client after a one-route edit, against its full build"
# Each run first adds (or removes, every other run) an optional query parameter of one
# operation in the spec and regenerates, then builds: what a maintainer's edit costs. Two
# edits: a field added to a type that exists (listConversations has options already), and a
# new type (getConversation's first optional parameter makes its options struct). cargo's
# incremental compilation is on, as in any dev build. The spec is restored at exit.
cp "$root/spec/crisp.yaml" "$work/crisp.orig.yaml"
restore_spec() {
    cp "$work/crisp.orig.yaml" "$root/spec/crisp.yaml"
    (cd "$root" && cargo xtask regen >/dev/null)
}
trap restore_spec EXIT
cat >"$work/toggle-route.py" <<'PY'
import sys
path, operation, anchor_parameter = sys.argv[1:4]
text = open(path).read()
marker = """        - name: bench_marker
          in: query
          required: false
          description: A parameter the rebuild benchmark adds and removes.
          schema:
            type: string
"""
start = text.index(f"      operationId: {operation}\n")
end = text.find("\n      operationId:", start + 1)
end = len(text) if end < 0 else end
if marker in text[start:end]:
    text = text[:start] + text[start:end].replace(marker, "", 1) + text[end:]
else:
    anchor = f"        - $ref: '#/components/parameters/{anchor_parameter}'\n"
    at = text.index(anchor, start) + len(anchor)
    text = text[:at] + marker + text[at:]
open(path, "w").write(text)
PY
toggle() {
    echo "python3 $work/toggle-route.py $root/spec/crisp.yaml $1 $2 && cargo xtask regen >/dev/null"
}
hf rebuild \
    -n full --prepare "cargo clean -q -p crisp-models -p crisp-client" \
    "cargo build -q $ours" \
    -n field --prepare "$(toggle listConversations PageNumber)" \
    "cargo build -q $ours" \
    -n type --prepare "$(toggle getConversation SessionId)" \
    "cargo build -q $ours"
restore_spec
trap - EXIT

echo "== summary (medians of $runs runs; ratio = ours / baseline)"
python3 - "$work" <<'EOF'
import json, statistics, sys
work = sys.argv[1]
def medians(name):
    with open(f"{work}/{name}.json") as f:
        results = json.load(f)["results"]
    return {r["command"]: statistics.median(r["times"]) for r in results}
print("| what | baseline | ours | ratio |")
print("| --- | --- | --- | --- |")
for name, label, base in [
    ("generate", "generate, spec unchanged (kept files reused)", "progenitor"),
    ("build", "debug build, every operation", "progenitor"),
    ("check", "cargo check, every operation", "progenitor"),
    ("area", "one area / every public area", "every"),
]:
    m = medians(name)
    ours = m["one" if name == "area" else "ours"]
    print(f"| {label} | {m[base]:.2f} s | {ours:.2f} s | {ours / m[base]:.2f}× |")
m = medians("generate")
print(f"| generate, every file formatted (a first run) | {m['progenitor']:.2f} s | {m['cold']:.2f} s | {m['cold'] / m['progenitor']:.2f}× |")
m = medians("rebuild")
print(f"| rebuild after a one-route edit adding a field / full build | {m['full']:.2f} s | {m['field']:.2f} s | {m['field'] / m['full']:.2f}× |")
print(f"| rebuild after a one-route edit adding a type / full build | {m['full']:.2f} s | {m['type']:.2f} s | {m['type'] / m['full']:.2f}× |")
m = medians("scale")
for times in ("x4", "x16"):
    print(f"| generate, spec {times[1:]}× the size / the spec | {m['x1']:.2f} s | {m[times]:.2f} s | {m[times] / m['x1']:.2f}× |")
EOF
