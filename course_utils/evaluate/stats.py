"""Lesson 06: the statistics that turn per-example scores into claims (pure: numpy, scipy; no torch).

    bootstrap_ci    a percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13) by
                    resampling examples: of a mean, or of a whole-set statistic such as macro-F1
    paired_test     two systems on the same examples: paired bootstrap of the difference, and
                    McNemar's exact test (`mcnemar_exact`) when the scores are 0/1
    unpaired_diff   two groups of different examples (the drift experiment): each resampled on
                    its own

What this leaves out: BCa intervals, multiple-comparison corrections (the lesson compares one
pre-registered pair) and power calculations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def bootstrap_ci(values=None, *, statistic: Callable[[np.ndarray], float] | None = None, n: int | None = None,
                 n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Lesson 06. (estimate, low, high): a percentile bootstrap interval.

    Either `values` (one number per example; the statistic is their mean, resampled in one
    vectorised step) or `statistic(indices) -> float` with `n` examples (for whole-set metrics
    such as macro-F1)."""
    if not 0 < level < 1:
        raise ValueError(f"level={level}: a confidence level between 0 and 1, e.g. 0.95")
    if n_boot < 100:
        raise ValueError(f"n_boot={n_boot}: use at least 100 resamples (2000 is the default)")
    rng = np.random.default_rng(seed)
    a = (1 - level) / 2
    if values is not None:
        v = np.asarray(values, dtype=float)
        if v.ndim != 1 or not len(v):
            raise ValueError(f"values: expected a non-empty 1-D list of per-example scores, got shape {v.shape}")
        idx = rng.integers(0, len(v), size=(n_boot, len(v)))
        boots = v[idx].mean(axis=1)
        est = float(v.mean())
    else:
        if statistic is None or not n:
            raise ValueError("bootstrap_ci: pass values=..., or statistic=... with n=<number of examples>")
        est = float(statistic(np.arange(n)))
        boots = np.array([statistic(rng.integers(0, n, size=n)) for _ in range(n_boot)])
    lo, hi = np.quantile(boots, [a, 1 - a])
    return est, float(lo), float(hi)


def mcnemar_exact(a, b) -> dict:
    """Lesson 06. McNemar's exact test of two systems' 0/1 scores on the same examples: only
    the discordant pairs count (b01: only B right, b10: only A right); two-sided binomial p."""
    # scipy.stats takes about half a second to import; only 0/1 paired tests need it, so the
    # exercise checks and the gate import this module without paying for it.
    from scipy.stats import binomtest

    a, b = np.asarray(a), np.asarray(b)
    if not set(np.unique(np.concatenate([a, b]))) <= {0, 1}:
        raise ValueError("mcnemar_exact needs 0/1 scores per example (e.g. accuracy, exact_match)")
    b10 = int(((a == 1) & (b == 0)).sum())
    b01 = int(((a == 0) & (b == 1)).sum())
    p = 1.0 if b10 + b01 == 0 else float(binomtest(b10, b10 + b01, 0.5).pvalue)
    return {"only_a": b10, "only_b": b01, "p_value": p}


def paired_test(a, b, *, n_boot: int = 5000, level: float = 0.95, seed: int = 0) -> dict:
    """Lesson 06. System A vs system B on the same examples: mean difference A - B with a
    paired-bootstrap interval and two-sided p-value (share of resampled differences on the
    other side of zero, doubled), plus McNemar's exact test when the scores are 0/1."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or not len(a):
        raise ValueError(f"paired_test needs two score lists for the same examples; got shapes "
                         f"{a.shape} and {b.shape}")
    d = a - b
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, 1 - (1 - level) / 2])
    if d.mean() == 0 and not boots.any():
        p = 1.0
    else:
        side = (boots <= 0).mean() if d.mean() > 0 else (boots >= 0).mean()
        p = float(min(1.0, 2 * max(side, 1 / n_boot)))
    res = {"diff": float(d.mean()), "low": float(lo), "high": float(hi), "p_bootstrap": p, "n": len(d)}
    if set(np.unique(np.concatenate([a, b]))) <= {0.0, 1.0}:
        res["mcnemar"] = mcnemar_exact(a.astype(int), b.astype(int))
    return res


def unpaired_diff(a, b, *, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Lesson 06. mean(a) - mean(b) with a 95% interval, resampling each group on its own (the
    groups hold different examples, so there is nothing to pair)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim != 1 or b.ndim != 1 or not len(a) or not len(b):
        raise ValueError(f"unpaired_diff needs two non-empty 1-D score lists; got shapes {a.shape} and {b.shape}")
    rng = np.random.default_rng(seed)
    da = a[rng.integers(0, len(a), (n_boot, len(a)))].mean(1)
    db = b[rng.integers(0, len(b), (n_boot, len(b)))].mean(1)
    lo, hi = np.quantile(da - db, [0.025, 0.975])
    return float(a.mean() - b.mean()), float(lo), float(hi)
