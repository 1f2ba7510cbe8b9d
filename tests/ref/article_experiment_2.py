"""Regenerates the numbers pinned in tests/experiments.rs,
article_experiment_2_replays_numpy_and_small_init_is_low_rank: sigma_1, sigma_2 and the held-out
error of the article's experiment 2 (its numpy loop, float64: M = U V^T, 20x20, width 20,
lr 0.01, 20,000 steps of GD on 0.5 * ||(U V^T - M*) * mask||^2) on the article's data and start
(presets/data/article-matrix.csv, article-mask.csv, article-u0.csv, article-v0.csv, drawn by
presets/data/generate_article_data.py with np.random.seed(42)).

The held-out error is the README's test_error: ||(M - M*) * (1 - mask)||_F / ||M* * (1 - mask)||_F,
for the M after the last update.

Not run by CI. Needs numpy:  python3 tests/ref/article_experiment_2.py
"""
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "presets" / "data"


def csv(name):
    return np.loadtxt(DATA / name, delimiter=",", ndmin=2)


def main():
    M_true = csv("article-matrix.csv")
    mask = csv("article-mask.csv") == 1.0
    U = csv("article-u0.csv")
    V = csv("article-v0.csv")
    lr = 0.01
    steps = 20000
    for _ in range(steps):
        M_pred = U @ V.T
        diff = (M_pred - M_true) * mask
        grad_U = diff @ V
        grad_V = diff.T @ U
        U -= lr * grad_U
        V -= lr * grad_V
    M = U @ V.T
    s = np.linalg.svd(M, compute_uv=False)
    held_out = ~mask
    test_error = np.linalg.norm((M - M_true) * held_out) / np.linalg.norm(M_true * held_out)
    print(f"sigma_1 {float(s[0])!r}")
    print(f"sigma_2 {float(s[1])!r}")
    print(f"test_error {float(test_error)!r}")


if __name__ == "__main__":
    main()
