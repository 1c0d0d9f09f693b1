#!/usr/bin/env bash
# Times the compilation of generated workflows that are *executed*, not only declared.
#
# For each shape (default: chain and fan-out of 100, 1,000 and 5,000 nodes) it builds a
# throwaway crate in target/compile-time three times: once with the node fns and an
# empty `main` (the baseline), once with `main` calling the node fns by hand, without a
# workflow (a loop of `inc` awaits, the fan-out's sink awaited once with the results: the
# node fns' own code, which any program that calls them compiles), and once with the
# workflow added and `main` running it with `Runtime::execute` (so `Workflow::run` and
# the executor are instantiated for it, as in any program that uses the workflow). The
# difference between the last and the first is what the workflow adds to the build; the
# difference between the last and the second is what the workflow adds beyond calling
# its node fns.
#
#   chain N: `n0 = inc(x)`, `n{i} = inc(x: n{i-1})`
#   fan N:   `src = inc(x)`, `m{i} = inc(x: src)` for i < N, `sink = sumN(a{i}: m{i}, ..)`
#
# Usage: bash benches/compile_time.sh [--release] [chain100 fan1000 ...]
# Prints one line per shape: `profile shape nodes wall <baseline> <by hand> <with
# workflow> +<added> (+<added beyond by hand>) cpu <the same>` in seconds, and the load
# average at the end.
# Uses the worktree's target dir (shared dependencies); set CARGO_TARGET_DIR to change it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
profile=""
shapes=()
for a in "$@"; do
    case "$a" in
        --release) profile="--release" ;;
        *) shapes+=("$a") ;;
    esac
done
if [ ${#shapes[@]} -eq 0 ]; then
    shapes=(chain100 chain1000 chain5000 fan100 fan1000 fan5000)
fi
dir=${CT_DIR:-$root/target/compile-time}
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
tokio = { version = "1", features = ["rt"] }
TOML
cp Cargo.lock "$dir/Cargo.lock"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
name=${profile:+release}
name=${name:-debug}

# gen <shape> <n> <0: node fns only | 1: with the workflow | 2: node fns called by hand>:
# writes src/main.rs.
gen() {
    python3 - "$1" "$2" "$3" > "$dir/src/main.rs" <<'PY'
import sys
shape, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = ["use std::hint::black_box;", "use workflow_core::prelude::*;", "",
       "#[node]", "async fn inc(x: u64) -> u64 { black_box(x).wrapping_add(1) }", ""]
if shape == "fan":
    params = ", ".join(f"a{i}: u64" for i in range(n))
    terms = "".join(f".wrapping_add(a{i})" for i in range(n))
    out += ["#[node]", "#[allow(clippy::too_many_arguments)]",
            f"async fn sum{n}({params}) -> u64 {{ black_box(0u64){terms} }}", ""]
tokio = "    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();"
if mode == "0":
    out += ["fn main() { let _ = inc;" + (f" let _ = sum{n};" if shape == "fan" else "") + " }"]
elif mode == "2":
    out += ["fn main() {", tokio, "    let r = tokio.block_on(async {"]
    if shape == "chain":
        out += ["        let mut x = 1;", f"        for _ in 0..{n} {{ x = inc(x).await; }}", "        x"]
    else:
        out += ["        let src = inc(1).await;", f"        let mut m = Vec::with_capacity({n});",
                f"        for _ in 0..{n} {{ m.push(inc(src).await); }}",
                f"        sum{n}(" + ", ".join(f"m[{i}]" for i in range(n)) + ").await"]
    out += ["    });", "    println!(\"{}\", r);", "}"]
else:
    lines = []
    if shape == "chain":
        lines.append("n0 = inc(x),")
        lines += [f"n{i} = inc(x: n{i-1})," for i in range(1, n)]
        last = f"n{n-1}"
    else:
        lines.append("src = inc(x),")
        lines += [f"m{i} = inc(x: src)," for i in range(n)]
        lines.append(f"sink = sum{n}(" + ", ".join(f"a{i}: m{i}" for i in range(n)) + "),")
        last = "sink"
    out += ["workflow! {", "    struct W {", "        input x: u64,"]
    out += ["        " + l for l in lines]
    out += ["    }", "}", "",
            "fn main() {",
            tokio,
            "    let run = tokio.block_on(Runtime::new().execute(W, WInput { x: 1 })).unwrap();",
            f"    println!(\"{{}}\", run.outputs.{last});",
            "}"]
print("\n".join(out))
PY
}

# build: prints `wall cpu` in seconds (cpu = user + sys of cargo and rustc): on a
# loaded machine the wall time is several times the CPU time.
build() {
    local TIMEFORMAT='%R %U %S' t
    t=$( { time (cd "$dir" && cargo build $profile -q 2>&1 | grep -v "^warning" >&2 || true); } 2>&1 )
    python3 -c "r, u, s = map(float, '$t'.split()[-3:]); print(f'{r:.2f} {u + s:.2f}')"
}

for s in "${shapes[@]}"; do
    shape=${s%%[0-9]*}
    n=${s#"$shape"}
    gen "$shape" "$n" 0
    (cd "$dir" && cargo build $profile -q 2>/dev/null || true)
    touch "$dir/src/main.rs"
    read -r base base_cpu <<< "$(build)"
    gen "$shape" "$n" 2
    read -r hand hand_cpu <<< "$(build)"
    by_hand=$("$CARGO_TARGET_DIR/$name/compile-time")
    gen "$shape" "$n" 1
    read -r with with_cpu <<< "$(build)"
    # The workflow ran: its result is the chain's (x + n) or the fan-out's, the same as
    # the calls by hand.
    got=$("$CARGO_TARGET_DIR/$name/compile-time")
    if [ "$got" != "$by_hand" ]; then
        echo "$shape$n: the workflow's result $got differs from the calls by hand ($by_hand)" >&2
        exit 1
    fi
    python3 -c "print(f'$name $shape $n wall {$base} {$hand} {$with} +{$with-$base:.2f} (+{$with-$hand:.2f})  cpu {$base_cpu} {$hand_cpu} {$with_cpu} +{$with_cpu-$base_cpu:.2f} (+{$with_cpu-$hand_cpu:.2f})  (result $got, load $(cut -d' ' -f1 /proc/loadavg))')"
done
