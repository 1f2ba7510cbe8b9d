"""Regenerates the numbers pinned in tests/experiments.rs,
article_experiment_1_replays_numpy_and_freezes_the_minus_three_run: the final w/||w|| and ||w||
of the article's experiment 1 (its numpy loop, float64, GD on the exponential loss, lr 0.01,
50,000 steps) from its four starts, on the article's data (presets/data/article-clusters.csv,
which presets/data/generate_article_data.py draws with np.random.seed(42)).

The loop is the article's `run_gd_dynamics`, minus the plotting. It also reports the step after
which w stops changing bit for bit (the run from [-3, -3] freezes: exp(-margin) underflows).

Not run by CI. Needs numpy:  python3 tests/ref/article_experiment_1.py
"""
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "presets" / "data" / "article-clusters.csv"


def load():
    table = np.loadtxt(DATA, delimiter=",", skiprows=1)
    return table[:, :2], table[:, 2]


def run_gd_dynamics(X, y, init_w, iterations=50000, lr=0.01):
    """The article's loop; returns the final w and the first step whose update changed nothing."""
    w = np.array(init_w, dtype=float)
    frozen_at = None
    for t in range(iterations):
        scores = X @ w
        margins = y * scores
        coeffs = np.exp(-margins)
        grad = -(coeffs[:, None] * y[:, None] * X).sum(axis=0)
        before = w.copy()
        w = w - lr * grad
        if frozen_at is None and np.array_equal(w, before):
            frozen_at = t + 1
    return w, frozen_at


def main():
    X, y = load()
    inits = [[-2.0, 4.0], [4.0, -1.0], [-3.0, -3.0], [1.0, 5.0]]
    for init in inits:
        w, frozen_at = run_gd_dynamics(X, y, init)
        norm = np.linalg.norm(w)
        direction = w / norm
        print(
            f"init {init}: direction [{float(direction[0])!r}, {float(direction[1])!r}], "
            f"norm {float(norm)!r}, frozen at step {frozen_at}"
        )


if __name__ == "__main__":
    main()
