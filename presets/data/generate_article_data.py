"""Regenerates the article's exact data as CSV files (float64, shortest round-trip repr).

Experiment 1 and 3 share the clusters drawn with np.random.seed(42); experiment 2 is drawn
with np.random.seed(42) at its own top, since the article's second script sets no seed.
Run with numpy installed: python3 generate_article_data.py
"""
import numpy as np


def write(path, rows):
    with open(path, "w") as f:
        for row in rows:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


np.random.seed(42)
N = 10
X_pos = np.random.randn(N, 2) * 0.5 + [1.5, 1.5]
X_neg = np.random.randn(N, 2) * 0.5 + [-1.5, -1.5]
X = np.vstack([X_pos, X_neg])
y = np.hstack([np.ones(N), -np.ones(N)])
with open("article-clusters.csv", "w") as f:
    f.write("x1,x2,label\n")
    for xi, yi in zip(X, y):
        f.write(f"{float(xi[0])!r},{float(xi[1])!r},{int(yi)}\n")

np.random.seed(42)
N = 20
U_true = np.random.randn(N, 1)
V_true = np.random.randn(N, 1)
M_true = U_true @ V_true.T
mask = np.random.rand(N, N) < 0.6
U = np.random.randn(N, N) * 1e-3
V = np.random.randn(N, N) * 1e-3
write("article-matrix.csv", M_true)
with open("article-mask.csv", "w") as f:
    for row in mask:
        f.write(",".join("1" if v else "0" for v in row) + "\n")
write("article-u0.csv", U)
write("article-v0.csv", V)
