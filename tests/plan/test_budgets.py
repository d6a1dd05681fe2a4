"""The seeds' per-method budgets, recomputed from prices and throughputs, with a verdict."""

from __future__ import annotations

import pytest

from course_utils.errors import DataFileError
from course_utils.paths import data_path
from course_utils.plan import costs as C


def test_the_seed_budgets_are_dated_and_sourced():
    claims = {b.method: b for b in C.load_method_budgets()}
    assert set(claims) == {"full", "lora", "qlora"}
    assert (claims["full"].low, claims["full"].high) == (10_000, None)   # "$10,000+"
    assert (claims["lora"].low, claims["lora"].high) == (500, 3000)
    assert (claims["qlora"].low, claims["qlora"].high) == (300, 1000)
    assert claims["full"].text == "$10,000.00+" and claims["qlora"].text == "$300.00–$1,000.00"
    for b in claims.values():
        assert b.source_url.startswith("https://") and b.as_of.startswith("2026-")


@pytest.mark.parametrize("claim, estimate, verdict", [
    ((300, 1000), 5.43, "overstated"),
    ((300, 1000), (501.7, 2059.7), "consistent"),    # the ranges overlap
    ((300, 1000), 1150, "consistent"),               # within 20% above the claim
    ((300, 1000), 1250, "understated"),
    ((100, 200), 81, "consistent"),                  # within 20% below the claim
    ((100, 200), 79, "overstated"),
    ((10_000, None), 2054.9, "overstated"),          # an open claim: "at least $10,000"
    ((10_000, None), 50_000, "consistent"),          # no estimate is above an open claim
])
def test_budget_verdict(claim, estimate, verdict):
    assert C.budget_verdict(*claim, estimate) == verdict


def test_budget_verdict_rejects_nonsense():
    with pytest.raises(C.CostInputError, match="claim_high"):
        C.budget_verdict(1000, 300, 500)
    with pytest.raises(C.CostInputError, match="estimate"):
        C.budget_verdict(300, 1000, -1)


def test_compute_is_every_rented_gpu_with_a_published_throughput():
    checks = {c.claim.method: c for c in C.check_method_budgets()}
    n, avg = int(C.assumption("example_num_examples")), C.assumption("example_avg_tokens")
    for method, c in checks.items():
        quotes = [q for q in C.compare_offers(n, avg, 1, method) if q.kind == "gpu_rental"]
        assert c.offers == len(quotes) > 0
        assert c.compute.low == min(C.low_high(q.cost)[0] for q in quotes)
        assert c.compute.high == max(C.low_high(q.cost)[1] for q in quotes)
        mult, tooling = C.assumption("pipeline_multiplier"), C.assumption("evaluation_tooling")
        assert c.all_in.low == pytest.approx(c.compute.low * (1 + mult.low) + tooling.low)
        assert c.all_in.high == pytest.approx(c.compute.high * (1 + mult.high) + tooling.high)
        assert c.compute_verdict == C.budget_verdict(c.claim.low, c.claim.high, c.compute)


def test_with_the_shipped_data_the_claims_are_budgets_for_more_than_compute():
    """A reading of today's data (prices, throughputs, the seeds' rules of thumb): one run of
    the worked example costs a few dollars on any rented GPU, far below every claim; with the
    seeds' own data-preparation multiplier and evaluation tooling, LoRA's and QLoRA's claims hold
    and full fine-tuning's "$10,000+" still does not."""
    checks = {c.claim.method: c for c in C.check_method_budgets()}
    assert {m: c.compute_verdict for m, c in checks.items()} == dict.fromkeys(checks, "overstated")
    assert {m: c.all_in_verdict for m, c in checks.items()} == {
        "full": "overstated", "lora": "consistent", "qlora": "consistent"}
    assert all(c.compute.high < 10 and c.claim_over_compute > 50 for c in checks.values())


def test_the_verdict_follows_the_data_not_the_text():
    qlora = [b for b in C.load_method_budgets() if b.method == "qlora"]
    # 200 passes over the worked example (5.1B tokens): the compute alone reaches the claim;
    # 5,000 passes: even the cheapest offer is above it
    assert C.check_method_budgets(epochs=200, budgets=qlora)[0].compute_verdict == "consistent"
    assert C.check_method_budgets(epochs=5000, budgets=qlora)[0].compute_verdict == "understated"


def test_malformed_budget_file_names_line_and_field(tmp_path):
    text = data_path("costs_method_budgets.csv").read_text(encoding="utf-8")
    p = tmp_path / "budgets.csv"
    for old, new, field in [("\nlora,", "\nadapter,", "method"),
                            ("lora,500,3000", "lora,500,300", "claimed_high"),
                            ("lora,500,3000", "lora,$500,3000", "claimed_low"),
                            ("\nlora,", "\nfull,", "method")]:
        p.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(DataFileError, match=rf"line 3 .*field '{field}'"):
            C.load_method_budgets(p)
