#!/usr/bin/env bash
# Times the compilation of one generated 1,000-node workflow (a chain of `inc` nodes).
#
# Builds a throwaway crate in target/compile-time that depends on workflow-core and
# contains the chain, once with the workflow and once with an empty `main`, after the
# dependencies are built; the difference is the workflow's own compile time.
# Usage: bash benches/compile_time.sh [--release]
# (Set CARGO_TARGET_DIR to reuse already built dependencies.)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
profile=${1:-}
cargo build -p workflow-benches --lib $profile -q
tdir=${CARGO_TARGET_DIR:-$root/target}
out=$(ls -d "$tdir"/*/build/workflow-benches-*/out 2>/dev/null | xargs -I{} sh -c 'test -f {}/chain1000.rs && echo {}' | head -1)
dir=target/compile-time
mkdir -p "$dir/src"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "compile-time"
version = "0.0.0"
edition = "2021"
publish = false
[workspace]
[dependencies]
workflow-core = { path = "$root/workflow-core" }
workflow-benches = { path = "$root/benches" }
TOML
cp Cargo.lock "$dir/Cargo.lock"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/compile-time/target}"
empty='use workflow_benches::inc; use workflow_core::prelude::*; fn main() { let _ = inc; }'
echo "$empty" > "$dir/src/main.rs"
(cd "$dir" && cargo build $profile -q)
touch "$dir/src/main.rs"
t0=$(date +%s.%N); (cd "$dir" && cargo build $profile -q); t1=$(date +%s.%N)
{ echo 'use workflow_benches::inc; use workflow_core::prelude::*;'; cat "$out/chain1000.rs"; echo 'fn main() { let _ = Chain1000; }'; } > "$dir/src/main.rs"
t2=$(date +%s.%N); (cd "$dir" && cargo build $profile -q); t3=$(date +%s.%N)
python3 -c "e=$t1-$t0; w=$t3-$t2; print(f'empty crate: {e:.2f} s, with the 1,000-node chain: {w:.2f} s, the workflow itself: {w-e:.2f} s')"
