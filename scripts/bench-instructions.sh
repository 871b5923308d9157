#!/usr/bin/env bash
# Instructions rustc executes to build the generated models and client, counted by valgrind's
# cachegrind. Wall times on this shared machine move by a quarter between runs minutes apart
# (scripts/bench-codegen.sh measures them in interleaved rounds for that reason); instruction
# counts do not move with the machine's load, so this is the figure to compare when judging a
# change to the generator or the runtime: run it before and after. Not part of CI; it took
# 9 minutes on 2 cores.
#
#   bash scripts/bench-instructions.sh
#
# Builds, each counted for crisp-models and crisp-client only (dependencies are prebuilt and
# not counted), in the debug profile with cargo's incremental compilation on:
#   every   every operation (`internal`, `legacy`), from scratch
#   one     one area (`website-conversation`), from scratch
#   touch   `every` again after touching the edited files: nothing to redo
#   field   `every` after a one-route edit that adds a field to a type (and `regen`)
#   type    `every` after a one-route edit that adds a type (and `regen`)
# Counts are of all of rustc's threads, summed; a wall time also depends on how they overlap.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/bench-instructions
counts=$work/counts
rm -rf "$counts"
mkdir -p "$counts"

if ! command -v valgrind >/dev/null; then
    echo "bench-instructions: valgrind is needed (apt-get install valgrind)" >&2
    exit 1
fi

# cargo calls rustc through this wrapper; it runs rustc under cachegrind for the two generated
# crates while COUNT_LABEL is set, and plainly otherwise.
cat >"$work/rustc-counting" <<'SH'
#!/usr/bin/env bash
rustc=$1
shift
crate=
previous=
for argument in "$@"; do
    [ "$previous" = --crate-name ] && crate=$argument
    previous=$argument
done
if [ -n "${COUNT_LABEL:-}" ] && { [ "$crate" = crisp_models ] || [ "$crate" = crisp_client ]; }; then
    exec valgrind --tool=cachegrind --cache-sim=no --log-file=/dev/null \
        --cachegrind-out-file="$COUNT_DIR/$COUNT_LABEL.$crate.%p" "$rustc" "$@"
fi
exec "$rustc" "$@"
SH
chmod +x "$work/rustc-counting"

echo "== machine"
echo "$(nproc) cores, $(uname -sr), $(rustc --version), $(valgrind --version), $(date -u +%Y-%m-%d)"

ours="-p crisp-models -p crisp-client --features crisp-client/internal,crisp-client/legacy"
one="-p crisp-client --no-default-features --features website-conversation"
# `regen` runs xtask from the usual target directory, without the wrapper.
regen() {
    env -u CARGO_TARGET_DIR -u RUSTC_WRAPPER cargo xtask regen >/dev/null
}
cp "$root/spec/crisp.yaml" "$work/crisp.orig.yaml"
restore_spec() {
    cp "$work/crisp.orig.yaml" "$root/spec/crisp.yaml"
    regen
}
trap restore_spec EXIT

export CARGO_TARGET_DIR=$work/target RUSTC_WRAPPER=$work/rustc-counting COUNT_DIR=$counts
regen
cargo build -q $ours
cargo build -q $one
counted() {
    local label=$1
    shift
    echo "== $label"
    COUNT_LABEL=$label cargo build -q "$@"
}
cargo clean -q -p crisp-models -p crisp-client
counted every $ours
cargo clean -q -p crisp-models -p crisp-client
counted one $one
cargo build -q $ours
touch "$root/generated/models/src/website_conversation.rs" "$root/generated/client/src/website_conversation.rs"
counted touch $ours
python3 "$root/scripts/toggle-route.py" "$root/spec/crisp.yaml" listConversations PageNumber
regen
counted field $ours
restore_spec
cargo build -q $ours
python3 "$root/scripts/toggle-route.py" "$root/spec/crisp.yaml" getConversation SessionId
regen
counted type $ours
restore_spec
trap - EXIT

echo "== summary (instructions, G = 10^9; a ratio is against \`every\`, the full build)"
python3 - "$counts" <<'EOF'
import collections, glob, os, sys
totals = collections.defaultdict(int)
for path in glob.glob(os.path.join(sys.argv[1], "*")):
    label, crate, _ = os.path.basename(path).split(".")
    with open(path) as f:
        summary = [line for line in f if line.startswith("summary:")]
    totals[label, crate] += int(summary[0].split()[1])
labels = ["every", "one", "touch", "field", "type"]
every = totals["every", "crisp_models"] + totals["every", "crisp_client"]
print("| build | crisp-models | crisp-client | both | / every |")
print("| --- | --- | --- | --- | --- |")
for label in labels:
    models, client = totals[label, "crisp_models"], totals[label, "crisp_client"]
    both = models + client
    print(f"| {label} | {models / 1e9:.2f} G | {client / 1e9:.2f} G | {both / 1e9:.2f} G | {both / every:.3f}× |")
EOF
