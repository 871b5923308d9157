#!/usr/bin/env bash
# Generation and build times of this project against progenitor on the same spec, measured in
# one run on this machine and printed as ratios (the machines are shared and noisy: compare
# only figures of one run). Not part of CI: it installs cargo-progenitor and hyperfine with
# `cargo install` when they are missing, and takes about ten minutes.
#
#   bash scripts/bench-codegen.sh [RUNS]        (RUNS rounds per measurement, default 3)
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

# Each measurement runs in rounds: one run of every command per round, so that a command and
# its baseline run seconds apart, and the machine's drift over minutes (large on this shared
# machine) moves both. The summary takes each round's ratio and prints their median.
hf() {
    local name=$1
    shift
    local round
    for ((round = 1; round <= runs; round++)); do
        hyperfine --style basic --runs 1 --export-json "$work/$name.$round.json" "$@"
    done
}

echo "== generate"
# Warm-up, untimed: the file cache for both, and regen's kept files for `ours`.
$generate_progenitor >/dev/null
cargo xtask regen >/dev/null
# `ours` is a maintainer's `regen` on an unchanged spec: the formatted files kept by the last
# run are reused (xtask/src/memo.rs). `cold` formats every file, as a first run does.
hf generate \
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
# Warm-up, untimed (a synthetic spec differs from generated/: exit 1).
for times in 4 16; do cargo xtask check --spec "$work/x$times.yaml" >/dev/null 2>&1 || true; done
hf scale -i \
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
# `touch` changes nothing but the files' times: both crates rebuilt with nothing to redo,
# the least any edit can cost (rustc's incremental floor for these two crates).
cp "$root/spec/crisp.yaml" "$work/crisp.orig.yaml"
restore_spec() {
    cp "$work/crisp.orig.yaml" "$root/spec/crisp.yaml"
    (cd "$root" && cargo xtask regen >/dev/null)
}
trap restore_spec EXIT
toggle() {
    echo "python3 $root/scripts/toggle-route.py $root/spec/crisp.yaml $1 $2 && cargo xtask regen >/dev/null"
}
hf rebuild \
    -n full --prepare "cargo clean -q -p crisp-models -p crisp-client" \
    "cargo build -q $ours" \
    -n touch --prepare "touch $root/generated/models/src/website_conversation.rs $root/generated/client/src/website_conversation.rs" \
    "cargo build -q $ours" \
    -n field --prepare "$(toggle listConversations PageNumber)" \
    "cargo build -q $ours" \
    -n type --prepare "$(toggle getConversation SessionId)" \
    "cargo build -q $ours"
restore_spec
trap - EXIT

echo "== summary ($runs rounds; times are medians, a ratio is the median of the rounds' ratios)"
python3 - "$work" "$runs" <<'EOF'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
def rounds(name):
    """Each round's time of each command."""
    out = []
    for round in range(1, runs + 1):
        with open(f"{work}/{name}.{round}.json") as f:
            out.append({r["command"]: r["times"][0] for r in json.load(f)["results"]})
    return out
def row(label, name, ours, base):
    r = rounds(name)
    time = lambda command: statistics.median(x[command] for x in r)
    ratio = statistics.median(x[ours] / x[base] for x in r)
    spread = ", ".join(f"{x[ours] / x[base]:.2f}" for x in r)
    print(f"| {label} | {time(base):.2f} s | {time(ours):.2f} s | {ratio:.2f}× ({spread}) |")
print("| what | baseline | ours | ratio (each round) |")
print("| --- | --- | --- | --- |")
row("generate, spec unchanged (kept files reused)", "generate", "ours", "progenitor")
row("generate, every file formatted (a first run)", "generate", "cold", "progenitor")
row("debug build, every operation", "build", "ours", "progenitor")
row("cargo check, every operation", "check", "ours", "progenitor")
row("one area / every public area", "area", "one", "every")
row("rebuild after touching the edited files (no change) / full build", "rebuild", "touch", "full")
row("rebuild after a one-route edit adding a field / full build", "rebuild", "field", "full")
row("rebuild after a one-route edit adding a type / full build", "rebuild", "type", "full")
row("generate, spec 4× the size / the spec", "scale", "x4", "x1")
row("generate, spec 16× the size / the spec", "scale", "x16", "x1")
EOF
