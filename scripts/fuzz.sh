#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time on the committed corpus (fuzz/corpus/) with
# cargo fuzz on the machine's stable toolchain (RUSTC_BOOTSTRAP lets it pass libFuzzer's flags;
# no sanitizer, so a crash is a panic, an abort or a hang, not a silent memory error).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 30 s, every target)
# Exits non-zero on the first crash; libFuzzer leaves the input in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-30}"
shift || true
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
echo "==> building ${#targets[@]} fuzz targets"
cargo fuzz build --sanitizer none
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
printf '%-14s %10s %12s %8s\n' target seconds executions "exec/s"
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    # New inputs go to the scratch directory (first); the committed corpus is only read.
    if ! cargo fuzz run --sanitizer none "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/; fix it and add it to fuzz/corpus/$target/ as regression-NAME" >&2
        exit 1
    fi
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
    printf '%-14s %10s %12s %8s\n' "$target" "$seconds" "${runs:-?}" "${rate:-?}"
done
