"""Regenerates the numbers pinned in tests/experiments.rs, article_references_match_cvxpy_and_sklearn:
the exact max-margin directions on the article's data (presets/data/article-clusters.csv),
  l2:           argmin ||w||_2 s.t. y_i w.x_i >= 1 (the homogeneous SVM, GD's limit without bias)
  l2-intercept: argmin ||w||_2 s.t. y_i (w.x_i + b) >= 1, b free (the SVM with intercept)
both solved by cvxpy with Clarabel at tolerances 1e-12, printed as w/||w||. If scikit-learn is
installed, the intercept SVM is also fitted with SVC(kernel="linear", C=1e10) (a hard margin in
effect) and the largest difference from cvxpy's direction is printed (about 1e-8).

Not run by CI. Needs numpy and cvxpy (scikit-learn optional):
  python3 tests/ref/article_references.py
"""
from pathlib import Path

import cvxpy as cp
import numpy as np

DATA = Path(__file__).resolve().parents[2] / "presets" / "data" / "article-clusters.csv"
TOLERANCES = dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-12)


def max_margin(X, y, intercept):
    w = cp.Variable(X.shape[1])
    b = cp.Variable() if intercept else 0.0
    problem = cp.Problem(cp.Minimize(cp.sum_squares(w)), [cp.multiply(y, X @ w + b) >= 1])
    problem.solve(solver=cp.CLARABEL, **TOLERANCES)
    assert problem.status == cp.OPTIMAL, problem.status
    return w.value / np.linalg.norm(w.value)


def main():
    table = np.loadtxt(DATA, delimiter=",", skiprows=1)
    X, y = table[:, :2], table[:, 2]
    l2 = max_margin(X, y, intercept=False)
    l2_intercept = max_margin(X, y, intercept=True)
    print(f"l2           [{float(l2[0])!r}, {float(l2[1])!r}]")
    print(f"l2-intercept [{float(l2_intercept[0])!r}, {float(l2_intercept[1])!r}]")
    try:
        from sklearn.svm import SVC
    except ImportError:
        print("scikit-learn not installed: SVC cross-check skipped")
        return
    svc = SVC(kernel="linear", C=1e10, tol=1e-12).fit(X, y)
    coef = svc.coef_[0] / np.linalg.norm(svc.coef_[0])
    print(f"sklearn SVC(C=1e10) vs cvxpy l2-intercept: max |difference| {np.abs(coef - l2_intercept).max():.1e}")


if __name__ == "__main__":
    main()
