"""Lesson 06 uncertainty: bootstrap intervals cover the truth at about their level, and the paired
tests see a real difference and no phantom one (course_utils.evaluate.stats)."""

import numpy as np
import pytest

from course_utils.evaluate.metrics import macro_f1
from course_utils.evaluate.stats import bootstrap_ci, mcnemar_exact, paired_test, unpaired_diff


def test_bootstrap_95_interval_covers_a_known_mean_about_95_percent_of_the_time():
    # 400 independent data sets of n=80 from Bernoulli(0.3): the true mean is known.
    rng = np.random.default_rng(123)
    p, n, reps = 0.3, 80, 400
    hits = 0
    for r in range(reps):
        x = (rng.random(n) < p).astype(float)
        _, lo, hi = bootstrap_ci(x, n_boot=1000, seed=r)
        hits += lo <= p <= hi
    coverage = hits / reps
    # Binomial sd of the coverage estimate at 0.95 is ~0.011; percentile intervals at n=80 run
    # slightly short, so accept 0.90-0.98 and fail a broken interval (e.g. 0.68 from one sd).
    assert 0.90 <= coverage <= 0.98, coverage


def test_bootstrap_interval_narrows_with_more_data_and_contains_the_estimate():
    rng = np.random.default_rng(0)
    small = (rng.random(40) < 0.5).astype(float)
    big = (rng.random(1600) < 0.5).astype(float)
    e1, l1, h1 = bootstrap_ci(small)
    e2, l2, h2 = bootstrap_ci(big)
    assert l1 <= e1 <= h1 and l2 <= e2 <= h2
    # width shrinks like 1/sqrt(n): 40x the data, ~1/6.3 the width
    assert (h2 - l2) < (h1 - l1) / 4


def test_bootstrap_of_a_statistic_matches_its_own_point_and_is_deterministic():
    true = np.array(["ok", "spam", "scam", "harassment"] * 10, dtype=object)
    pred = true.copy()
    pred[::3] = "ok"
    stat = lambda idx: macro_f1(list(pred[idx]), list(true[idx]))  # noqa: E731
    a = bootstrap_ci(statistic=stat, n=len(true), n_boot=300, seed=7)
    b = bootstrap_ci(statistic=stat, n=len(true), n_boot=300, seed=7)
    assert a == b and a[0] == pytest.approx(macro_f1(list(pred), list(true)))
    assert a[1] < a[0] < a[2]


def test_bootstrap_rejects_bad_arguments_with_the_fix():
    with pytest.raises(ValueError, match="level=95"):
        bootstrap_ci([1, 0], level=95)
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="statistic"):
        bootstrap_ci()


def test_paired_test_finds_a_real_difference_and_not_a_phantom_one():
    rng = np.random.default_rng(5)
    a = (rng.random(200) < 0.8).astype(float)
    b = np.where(rng.random(200) < 0.35, 0.0, a)  # b = a with ~35% of a's successes lost
    res = paired_test(a, b)
    assert res["diff"] > 0 and res["low"] > 0 and res["p_bootstrap"] < 0.01
    assert res["mcnemar"]["only_b"] == 0 and res["mcnemar"]["p_value"] < 1e-6
    same = paired_test(a, a)
    assert same["diff"] == 0 and same["p_bootstrap"] == 1.0 and same["mcnemar"]["p_value"] == 1.0
    # two systems equally good but right on different examples: no significant difference
    c = np.roll(a, 1)
    assert paired_test(a, c)["p_bootstrap"] > 0.05


def test_paired_test_is_more_sensitive_than_comparing_separate_intervals():
    # the same 100 examples; B is A with 8 extra mistakes: the intervals overlap, the pairing sees it
    a = np.array([1.0] * 70 + [0.0] * 30)
    b = a.copy()
    b[:8] = 0.0
    _, lo_a, _ = bootstrap_ci(a)
    _, _, hi_b = bootstrap_ci(b)
    assert lo_a < hi_b                       # unpaired: the intervals overlap
    assert paired_test(a, b)["p_bootstrap"] < 0.05 and mcnemar_exact(a, b)["p_value"] < 0.01


def test_mcnemar_counts_discordant_pairs_and_matches_the_binomial():
    a = [1, 1, 1, 0, 0, 1]
    b = [0, 0, 1, 0, 1, 1]
    res = mcnemar_exact(a, b)
    assert (res["only_a"], res["only_b"]) == (2, 1)
    assert res["p_value"] == pytest.approx(1.0)  # 2 vs 1 discordant: two-sided binomial p = 1
    with pytest.raises(ValueError, match="0/1"):
        mcnemar_exact([0.5], [1])
    with pytest.raises(ValueError, match="same examples"):
        paired_test([1, 0], [1])


def test_unpaired_difference_sees_a_real_drop_and_not_a_phantom_one():
    rng = np.random.default_rng(11)
    same = (rng.random(120) < 0.8).astype(float)
    shifted = (rng.random(90) < 0.4).astype(float)     # a different, smaller group, much worse
    d, lo, hi = unpaired_diff(shifted, same)
    assert d == pytest.approx(shifted.mean() - same.mean()) and lo <= d <= hi and hi < 0
    again = (rng.random(90) < 0.8).astype(float)       # the same rate on other examples
    _, lo, hi = unpaired_diff(again, same)
    assert lo < 0 < hi
    with pytest.raises(ValueError, match="non-empty"):
        unpaired_diff([], [1.0])
