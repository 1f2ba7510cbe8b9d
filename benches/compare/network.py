#!/usr/bin/env python3
"""Times one GD step of the network kind against the same formulas in numpy, side by side.

The setting is the issue's edge of stability: a tanh network 1 → 30 → 20 → 1 with biases, the
squared loss L = 1/(2n) Σ (f(xᵢ) − yᵢ)² on Chebyshev T₆ at 20 points equally spaced in [−1, 1],
LeCun-normal init, GD with η = 0.2. As in compare.py every figure is a whole process,
(time at S steps − time at 0 steps) / S, so start-up, preset loading and JSON output cancel
out; ours and numpy alternate within each repeat and the minimum over repeats is kept. numpy
runs with 1 and 2 BLAS threads and the faster wall time is kept; CPU time (user + system) is
printed too.

Ours is the real binary, `implicit-bias run` (built here with `cargo build --release`), on a
preset written for the purpose: edge-of-stability's data and model with one run (η = 0.2) and
the sharpness off (`sharpness_every = 0`), so that a step is what numpy's loop does: forward,
loss, backpropagation, update (and ours also checks the update, as every run does).

Usage: benches/compare/network.py [--python PYTHON] [--repeats R] [--steps S]
numpy is skipped, with a note, when PYTHON cannot import it.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import fmt, has_numpy, numpy_env, ours_status, per_step, timed  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# presets/edge-of-stability.toml with one run and no sharpness.
PRESET = """title = "bench: one GD step of the edge-of-stability network"
experiment = "network"
seed = 0

[data]
source = "chebyshev"
points = 20
degree = 6

[model]
widths = [30, 20]
activation = "tanh"
bias = true
loss = "squared"

[[runs]]
optimizer = "gd"
lr = 0.2

[show]
sharpness_every = 0
"""

# The engine's step, in numpy: forward, loss, backpropagation, GD update, all float64.
NUMPY_STEP = """
import sys, numpy as np
steps = int(sys.argv[1])
n, lr = 20, 0.2
x = np.linspace(-1.0, 1.0, n)[:, None]
y = np.cos(6.0 * np.arccos(np.clip(x, -1.0, 1.0)))
rng = np.random.default_rng(0)
W1 = rng.standard_normal((30, 1)); b1 = np.zeros(30)
W2 = rng.standard_normal((20, 30)) / np.sqrt(30.0); b2 = np.zeros(20)
W3 = rng.standard_normal((1, 20)) / np.sqrt(20.0); b3 = np.zeros(1)
loss = 0.0
for t in range(steps):
    A1 = np.tanh(x @ W1.T + b1)
    A2 = np.tanh(A1 @ W2.T + b2)
    R = A2 @ W3.T + b3 - y
    loss = 0.5 * np.mean(R ** 2)
    D3 = R / n
    gW3 = D3.T @ A2; gb3 = D3.sum(0)
    D2 = (D3 @ W3) * (1.0 - A2 ** 2)
    gW2 = D2.T @ A1; gb2 = D2.sum(0)
    D1 = (D2 @ W2) * (1.0 - A1 ** 2)
    gW1 = D1.T @ x; gb1 = D1.sum(0)
    W1 -= lr * gW1; b1 -= lr * gb1
    W2 -= lr * gW2; b2 -= lr * gb2
    W3 -= lr * gW3; b3 -= lr * gb3
assert np.isfinite(loss)
print(loss)
"""


def release_binary():
    """Builds the release binary and returns its path, as cargo reports it."""
    done = subprocess.run(
        ["cargo", "build", "--release", "--bin", "implicit-bias", "--message-format=json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    for line in done.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") \
                and message["target"]["name"] == "implicit-bias":
            return message["executable"]
    sys.exit("cargo did not report the implicit-bias executable")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200_000)
    args = parser.parse_args()
    binary = release_binary()
    with tempfile.TemporaryDirectory() as tmp:
        preset = Path(tmp) / "network-gd.toml"
        preset.write_text(PRESET)
        ours_status(binary, preset, args.steps)
        mine = per_step(
            lambda s: timed([binary, "run", str(preset), "--steps", str(s)])[:2],
            args.steps, args.repeats)
    theirs = (None, None)
    if has_numpy(args.python):
        results = [
            per_step(lambda s: timed([args.python, "-c", NUMPY_STEP, str(s)],
                                     numpy_env(threads))[:2],
                     args.steps // 10, args.repeats)
            for threads in (1, 2)
        ]
        theirs = (min(wall for wall, _ in results), results[0][1])
    else:
        print(f"numpy is not installed for {args.python}: timing ours only "
              "(python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy, "
              "then --python /tmp/venv/bin/python)", file=sys.stderr)

    def ratio(a, b):
        return f"{a / b:.1f}×" if a else "—"

    print("| one GD step, 1→30→20→1 tanh, 20 points | ours | numpy (1 or 2 threads) "
          "| numpy / ours | ours CPU | numpy CPU (1 thread) | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    print(f"| per step | {fmt(mine[0])} | {fmt(theirs[0])} | {ratio(theirs[0], mine[0])} "
          f"| {fmt(mine[1])} | {fmt(theirs[1])} | {ratio(theirs[1], mine[1])} |")


if __name__ == "__main__":
    main()
