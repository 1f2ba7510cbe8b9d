#!/usr/bin/env python3
"""Times implicit-bias against the same loops in numpy, side by side, and prints a Markdown table.

Every figure is a whole process: (time at S steps − time at 0 steps) / S, so start-up, preset
loading and JSON output cancel out. Ours and numpy alternate within each repeat and the minimum
over repeats is kept, because the machine is shared and only the fastest run is free of noise.
numpy runs with 1 and 2 BLAS threads and the faster wall time is kept. On a loaded machine wall
times mostly measure the load, so CPU time (user + system, all threads) is printed too: ours
against numpy on 1 BLAS thread, where both sides count the same work. OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are removed from numpy's environment only (they pin an old, slower kernel on
some machines); nothing else is changed.

Usage: compare.py BINARY [--python PYTHON] [--repeats R] [--quick] [--sizes N,N,...]
numpy is skipped, with a note, when PYTHON cannot import it.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# (N, steps S): S makes each timed process last roughly a second.
MATRIX_SIZES = [(20, 50_000), (50, 10_000), (100, 2_000), (200, 400)]

MATRIX_PRESET = """title = "bench N={n}"
experiment = "matrix"
seed = 1

[data]
source = "low-rank"
size = {n}
rank = 2
observed = 0.6

[model]
init_scale = 1e-3

[[runs]]
optimizer = "gd"
lr = {lr}

[show]
steps = 100
references = []
"""

# The same loop as the matrix engine's `run`: M = U Vᵀ, masked residual, loss, both gradients
# from the same iterate, GD update. `run` reports the final state only and takes no SVD on the
# way, so this loop takes none either (the article's loops, below, keep theirs; ours then writes
# a trace, which takes at least as many).
NUMPY_MATRIX = """
import sys, numpy as np
n, steps, lr = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(1)
target = rng.standard_normal((n, 2)) @ rng.standard_normal((n, 2)).T
mask = (rng.random((n, n)) < 0.6).astype(float)
U = rng.standard_normal((n, n)) * 1e-3
V = rng.standard_normal((n, n)) * 1e-3
loss = 0.0
for t in range(1, steps + 1):
    diff = (U @ V.T - target) * mask
    loss = 0.5 * np.sum(diff ** 2)
    grad_U = diff @ V
    grad_V = diff.T @ U
    U -= lr * grad_U
    V -= lr * grad_V
assert np.isfinite(loss)
"""


# A depth-3 factorisation M = U C Vᵀ, the engine's formulas: P = U C, R = (P Vᵀ − M*) ⊙ mask,
# G = R V, ∇V = Rᵀ P, ∇U = G Cᵀ, ∇C = Uᵀ G, all from the same iterate; no SVD.
DEEP_SIZE, DEEP_STEPS = 100, 2_000

DEEP_PRESET = MATRIX_PRESET.replace("init_scale = 1e-3", "init_scale = 0.3\ndepth = 3")

NUMPY_DEEP = """
import sys, numpy as np
n, steps, lr = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(1)
target = rng.standard_normal((n, 2)) @ rng.standard_normal((n, 2)).T
mask = (rng.random((n, n)) < 0.6).astype(float)
U, C, V = (rng.standard_normal((n, n)) * 0.3 for _ in range(3))
loss = 0.0
for t in range(1, steps + 1):
    P = U @ C
    diff = (P @ V.T - target) * mask
    loss = 0.5 * np.sum(diff ** 2)
    G = diff @ V
    grad_V = diff.T @ P
    grad_U = G @ C.T
    grad_C = U.T @ G
    U -= lr * grad_U
    C -= lr * grad_C
    V -= lr * grad_V
assert np.isfinite(loss)
"""


def article_loops():
    """The article's experiment-1 and experiment-2 loops, as written in its text, timed alone."""
    exp1 = """
import sys, numpy as np
iterations = int(sys.argv[1])
np.random.seed(42)
N = 10
X_pos = np.random.randn(N, 2) * 0.5 + [1.5, 1.5]
X_neg = np.random.randn(N, 2) * 0.5 + [-1.5, -1.5]
X = np.vstack([X_pos, X_neg])
y = np.hstack([np.ones(N), -np.ones(N)])
def run_gd_dynamics(init_w, iterations=50000, lr=0.01):
    w = np.array(init_w, dtype=float)
    path = []
    for t in range(iterations):
        w_norm = np.linalg.norm(w)
        if w_norm > 1e-9:
            path.append(w / w_norm)
        else:
            path.append(w)
        scores = X @ w
        margins = y * scores
        coeffs = np.exp(-margins)
        grad = - (coeffs[:, None] * y[:, None] * X).sum(axis=0)
        w = w - lr * grad
    return np.array(path)
inits = [[-2.0, 4.0], [4.0, -1.0], [-3.0, -3.0], [1.0, 5.0]]
with np.errstate(all="ignore"):
    paths = [run_gd_dynamics(i, iterations) for i in inits]
"""
    exp2 = """
import sys, numpy as np
steps = int(sys.argv[1])
N = 20
Rank_True = 1
U_true = np.random.randn(N, Rank_True)
V_true = np.random.randn(N, Rank_True)
M_true = U_true @ V_true.T
mask = np.random.rand(N, N) < 0.6
U = np.random.randn(N, N) * 1e-3
V = np.random.randn(N, N) * 1e-3
lr = 0.01
singular_val_evolution = []
for t in range(steps):
    M_pred = U @ V.T
    diff = (M_pred - M_true) * mask
    loss = 0.5 * np.sum(diff**2)
    grad_U = diff @ V
    grad_V = diff.T @ U
    U -= lr * grad_U
    V -= lr * grad_V
    if t % 100 == 0:
        _, s, _ = np.linalg.svd(M_pred)
        singular_val_evolution.append(s)
"""
    return exp1, exp2


def timed(cmd, env=None):
    """(wall time, CPU time of all its threads, stdout) of one process, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, done.stdout


def numpy_env(threads):
    """numpy's environment: the given BLAS threads, without the machine's OpenBLAS pins."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def has_numpy(python):
    try:
        return subprocess.run([python, "-c", "import numpy"], capture_output=True).returncode == 0
    except OSError:
        return False


def blas_kernel(python):
    """What BLAS numpy runs once the pins are removed, as threadpoolctl reports it."""
    probe = (
        "import numpy, json\n"
        "try:\n"
        "    from threadpoolctl import threadpool_info\n"
        "    info = [{k: d.get(k) for k in ('internal_api', 'version', 'architecture', "
        "'num_threads')} for d in threadpool_info()]\n"
        "except ImportError:\n"
        "    info = 'threadpoolctl not installed'\n"
        "print(json.dumps({'numpy': numpy.__version__, 'blas': info}))\n"
    )
    out = subprocess.run([python, "-c", probe], env=numpy_env(2), capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


def per_step(run, steps, repeats):
    """(wall, CPU): each the min over repeats of (t(S) − t(0)) / S; run(s) times s steps."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        (wall_s, cpu_s), (wall_0, cpu_0) = run(steps), run(0)
        wall = min(wall, (wall_s - wall_0) / steps)
        cpu = min(cpu, (cpu_s - cpu_0) / steps)
    return wall, cpu


def ours_status(binary, preset, steps):
    """Every run of ours must still be moving at the end, or the timing measures a no-op."""
    _, _, out = timed([binary, "run", str(preset), "--steps", str(steps)])
    statuses = [r["status"] for r in json.loads(out)["runs"]]
    if any(s != "ok" for s in statuses):
        sys.exit(f"{preset}: runs stopped ({statuses}); the timing would be meaningless")


def fmt(seconds):
    if seconds is None:
        return "not installed"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e9:.0f} ns"


def print_table(rows):
    """The Markdown table of (name, (ours, ours CPU), (numpy, numpy CPU)) rows."""
    def ratio(theirs, ours):
        return f"{theirs / ours:.1f}×" if theirs else "—"

    print("| | ours | numpy (1 or 2 threads) | numpy / ours | ours CPU | numpy CPU (1 thread) "
          "| CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, (ours, ours_cpu), (theirs, theirs_cpu) in rows:
        print(f"| {name} | {fmt(ours)} | {fmt(theirs)} | {ratio(theirs, ours)} "
              f"| {fmt(ours_cpu)} | {fmt(theirs_cpu)} | {ratio(theirs_cpu, ours_cpu)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the steps (noisier)")
    parser.add_argument("--skip-max-margin", action="store_true", help="skip the 10⁹-step run")
    parser.add_argument("--sizes", help="matrix sides to time instead of 20,50,100,200 (e.g. "
                        "400,800), each for about 3.2·10⁹/N³ steps; only these rows are timed")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    numpy_ok = has_numpy(args.python)
    if numpy_ok:
        print(f"numpy: {args.python}: {blas_kernel(args.python)}", file=sys.stderr)
    else:
        print(f"numpy is not installed for {args.python}: timing ours only "
              "(python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy threadpoolctl, "
              "then --python /tmp/venv/bin/python)", file=sys.stderr)

    def numpy_per_step(script, argv_of_steps, steps):
        """(faster wall time of 1 and 2 BLAS threads, CPU time on 1 thread), or Nones."""
        if not numpy_ok:
            return None, None
        results = [
            per_step(lambda s: timed([args.python, "-c", script, *argv_of_steps(s)],
                                     numpy_env(threads))[:2], steps, args.repeats)
            for threads in (1, 2)
        ]
        return min(wall for wall, _ in results), results[0][1]

    def ours_per_step(preset, steps, trace=None):
        """Per-step (wall, CPU) of `run`; with `trace` (a path), `run --trace`, which records
        the runs as they go (for matrices, the singular values at least every 100 steps)."""
        extra = ["--trace", str(trace)] if trace else []
        return per_step(
            lambda s: timed([args.binary, "run", str(preset), "--steps", str(s), *extra])[:2],
            steps, args.repeats)

    sizes = MATRIX_SIZES
    if args.sizes:
        sizes = [(n, max(10, round(3.2e9 / n**3))) for n in map(int, args.sizes.split(","))]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, steps in sizes:
            steps //= scale
            lr = min(0.01, 0.5 / n)  # small enough that no run diverges at any N
            preset = Path(tmp) / f"matrix-{n}.toml"
            preset.write_text(MATRIX_PRESET.format(n=n, lr=lr))
            ours_status(args.binary, preset, steps)
            ours = ours_per_step(preset, steps)
            theirs = numpy_per_step(
                NUMPY_MATRIX, lambda s: [str(n), str(s), str(lr)], steps)
            rows.append((f"GD on U Vᵀ, N = k = {n}, per step",
                         ours, theirs))
            print(f"N={n}: ours {ours} numpy {theirs}", file=sys.stderr)

        if args.sizes:
            print_table(rows)
            return
        deep_steps = DEEP_STEPS // scale
        lr = 1e-4
        preset = Path(tmp) / "deep.toml"
        preset.write_text(DEEP_PRESET.format(n=DEEP_SIZE, lr=lr))
        ours_status(args.binary, preset, deep_steps)
        ours = ours_per_step(preset, deep_steps)
        theirs = numpy_per_step(
            NUMPY_DEEP, lambda s: [str(DEEP_SIZE), str(s), str(lr)], deep_steps)
        rows.append((f"GD on U C Vᵀ (depth 3), N = k = {DEEP_SIZE}, per step", ours, theirs))
        print(f"depth 3: ours {ours} numpy {theirs}", file=sys.stderr)

        exp1, exp2 = article_loops()
        for name, preset, steps, script in (
            ("article experiment 1 (4 runs × 50,000 GD steps), whole loop", "max-margin", 50_000,
             exp1),
            ("article experiment 2 (20×20, 20,000 GD steps), whole loop", "low-rank", 20_000,
             exp2),
        ):
            steps //= scale
            # The article's loops record as they go (every direction; every 100th spectrum):
            # ours writes its trace, which records at least as many spectra.
            trace = Path(tmp) / "trace.csv"
            ours = [t * steps
                    for t in ours_per_step(ROOT / "presets" / f"{preset}.toml", steps, trace)]
            theirs = [t and t * steps for t in numpy_per_step(script, lambda s: [str(s)], steps)]
            rows.append((name + (" (÷10, --quick)" if args.quick else ""), ours, theirs))
            print(f"{preset}: ours {ours} numpy {theirs}", file=sys.stderr)

    print_table(rows)

    if not args.skip_max_margin:
        path = ROOT / "presets" / "max-margin.toml"
        elapsed, _, _ = timed([args.binary, "run", str(path), "--steps", "1000000000"])
        print(f"\n`run max-margin --steps 1000000000` (4 runs): {elapsed:.1f} s")


if __name__ == "__main__":
    main()
