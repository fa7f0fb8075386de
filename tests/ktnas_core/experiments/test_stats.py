"""The statistics of ``ktnas reproduce``: bootstrap intervals and the paired Wilcoxon test."""

import numpy as np
import pytest
from scipy.stats import wilcoxon

from ktnas_core.errors import ParameterError
from ktnas_core.experiments.stats import bootstrap_mean, bootstrap_share, describe, paired_test


def test_bootstrap_interval_covers_the_mean_and_narrows_with_n():
    rng = np.random.default_rng(0)
    small, large = rng.exponential(100, 10), rng.exponential(100, 400)
    lo_s, hi_s = bootstrap_mean(small)
    lo_l, hi_l = bootstrap_mean(large)
    assert lo_s < small.mean() < hi_s and lo_l < large.mean() < hi_l
    assert (hi_l - lo_l) < 0.4 * (hi_s - lo_s)  # width ~ 1/sqrt(n): 40 times more runs, about 6 times narrower
    # close to the normal interval for a large sample
    se = large.std(ddof=1) / np.sqrt(large.size)
    assert (hi_l - lo_l) == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_bootstrap_is_seeded_and_coverage_is_near_95_percent():
    values = np.random.default_rng(1).normal(size=30)
    assert bootstrap_mean(values) == bootstrap_mean(values)
    assert bootstrap_mean(values, seed=1) != bootstrap_mean(values, seed=2)
    rng = np.random.default_rng(2)
    covered = sum(lo <= 0 <= hi for lo, hi in (bootstrap_mean(rng.normal(size=40), n_resamples=1000)
                                               for _ in range(200)))
    assert 0.88 <= covered / 200 <= 0.99


def test_paired_test_matches_scipy_and_sees_what_an_unpaired_view_misses():
    rng = np.random.default_rng(3)
    luck = rng.exponential(200, 50)  # the seed's own luck dominates the spread
    a, b = luck + rng.normal(-8, 5, 50), luck
    t = paired_test(a, b)
    assert t["p"] == pytest.approx(wilcoxon(a, b).pvalue)
    assert t["p"] < 1e-6 and t["diff"] == pytest.approx(np.mean(a - b))
    assert t["ci"][0] < t["diff"] < t["ci"][1] < 0
    assert t["wins"] + t["losses"] == 50 and t["wins"] > 40
    assert paired_test(b, a)["diff"] == pytest.approx(-t["diff"])


def test_ties_and_errors():
    assert paired_test([1, 2, 3], [1, 2, 3]) == {"n": 3, "diff": 0.0, "ci": (0.0, 0.0), "p": 1.0, "wins": 0,
                                                 "losses": 0}
    with pytest.raises(ParameterError, match="same length; got 3 and 2"):
        paired_test([1, 2, 3], [1, 2])
    with pytest.raises(ParameterError, match="finite numbers"):
        describe([1.0, float("nan")])
    with pytest.raises(ParameterError, match="non-empty"):
        bootstrap_mean([])
    with pytest.raises(ParameterError, match="confidence=1.5"):
        bootstrap_mean([1, 2], confidence=1.5)


def test_describe_and_share_band():
    d = describe([1, 2, 3, 4, 100])
    assert (d["n"], d["mean"], d["median"]) == (5, 22.0, 3.0) and d["sd"] == pytest.approx(np.std([1, 2, 3, 4, 100],
                                                                                                  ddof=1))
    times = [5, 10, 10, 20, float("inf")]
    share, low, high = bootstrap_share(times, [1, 10, 20, 1000])
    assert share.tolist() == [0.0, 0.6, 0.8, 0.8]
    assert np.all(low <= share) and np.all(share <= high) and low[0] == high[0] == 0.0
