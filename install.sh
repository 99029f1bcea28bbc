#!/usr/bin/env bash
# Quick start, step 1: install everything, then answer calls on the embedded defaults
# (SIP on udp 127.0.0.1:5060, the example shop flow, records in data/hotline.db).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
echo "==> starting hotline serve (Ctrl-C stops it)"
exec ./target/release/hotline serve "$@"
