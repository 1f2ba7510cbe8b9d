#!/bin/sh
# Makes the README's pictures: docs/PRESET.svg for every shipped preset (its figure at its
# [show] steps, as `run --svg` writes it) and docs/dashboard.txt (the dashboard as text).
# Run from anywhere: sh docs/make-figures.sh
set -eu
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/implicit-bias
for preset in presets/*.toml; do
    name=$(basename "$preset" .toml)
    "$bin" run "$preset" --svg "docs/$name.svg" > /dev/null
    echo "docs/$name.svg"
done
"$bin" snapshot max-margin --steps 3000 --size 100x30 > docs/dashboard.txt
echo docs/dashboard.txt
