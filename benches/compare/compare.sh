#!/bin/sh
# Builds the release binary and times it against numpy side by side (see compare.py).
# Usage: benches/compare/compare.sh [--python /tmp/venv/bin/python] [--repeats 3] [--quick]
set -eu
cd "$(dirname "$0")/../.."
cargo build --release --quiet
exec python3 benches/compare/compare.py target/release/implicit-bias "$@"
