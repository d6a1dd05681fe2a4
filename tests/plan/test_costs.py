"""Cost arithmetic: the seeds' worked examples to the cent, TCO, break-even, bad input."""

from __future__ import annotations

import pytest

from course_utils.plan import costs as C
from course_utils.errors import DataFileError
from course_utils.paths import data_path
from course_utils.plan.prices import UnknownPriceError, find_price


def rate(provider, item, unit=None):
    return C.rate_of(find_price(provider, item, unit))


# --- the seeds' worked examples, to the cent, from the prices file ---------------------------

@pytest.mark.parametrize("provider, item, expected", [
    ("Together AI", "Open-weight 7B fine-tuning", 12.29),   # 25.6M tokens x $0.48/1M
    ("Google Vertex AI", "Gemini fine-tuning", 76.80),      # x $3.00/1M
    ("OpenAI", "GPT-4o fine-tuning", 640.00),               # x $25/1M
])
def test_seed_managed_api_example(provider, item, expected):
    n = C.assumption("example_num_examples")
    avg = C.assumption("example_avg_tokens")
    assert (n, avg) == (50_000, 512)
    assert C.dataset_tokens(n, avg) == 25_600_000
    assert C.cents(C.managed_training_cost(n, avg, rate(provider, item))) == expected
    assert C.cents(C.managed_training_quote(provider, item, n, avg)) == expected


def test_seed_qlora_run_on_rented_a100():
    """2-8 hours at RunPod Community's $1.64/hour = $3.28-$13.12."""
    hours = C.assumption("qlora_run_hours_a100")
    cost = C.gpu_training_cost(hours, rate("RunPod Community", "A100 80GB"))
    assert C.cents(cost) == C.Range(3.28, 13.12)
    assert C.cents(C.gpu_training_cost(2, 1.64)) == 3.28
    assert C.cents(C.gpu_training_cost(8, 1.64)) == 13.12


def test_seed_dedicated_endpoint_per_month():
    """$1.70-$3.00/hour all month = $1,224-$2,160."""
    hourly = rate("Dedicated endpoint (OpenAI-style)", "Fine-tuned model hosting")
    monthly = C.monthly_hosting_cost(hourly, C.assumption("hours_per_month"))
    assert C.cents(monthly) == C.Range(1224.00, 2160.00)


def test_epochs_and_ranges_scale_linearly():
    assert C.managed_training_cost(1000, 500, 3.0, epochs=3) == pytest.approx(4.5)
    r = C.managed_training_cost(1000, (400, 600), (1.0, 2.0))
    assert isinstance(r, C.Range) and r == pytest.approx((0.4, 1.2))
    assert C.gpu_training_cost(10, 2.0, num_gpus=4) == 80.0
    assert C.monthly_hosting_cost(0.0) == 0.0  # a free GPU (Colab) costs nothing


# --- throughput and hours --------------------------------------------------------------------

def test_throughput_table_is_sourced_and_looked_up():
    rows = C.load_throughput()
    assert len(rows) >= 8 and all(r.source_url.startswith("https://") for r in rows)
    assert len({r.source_name for r in rows}) >= 3
    t = C.throughput_for("RTX 4090", "qlora")
    assert (t.tokens_per_second_per_gpu, t.derived) == (2413, "")
    assert C.throughput_for("A100 80GB", "lora").tokens_per_second_per_gpu == 4079.28


def test_qlora_on_a100_is_derived_from_lora_and_says_so():
    t = C.throughput_for("A100 80GB", "qlora")
    assert t.tokens_per_second_per_gpu == pytest.approx(4079.28 * 0.8)
    assert "derived" in t.label() and "0.8" in t.derived


def test_seed_qlora_hours_claim_against_measurements():
    """The seeds' 25.6M-token run lands inside their 2-8 hour QLoRA claim on both GPUs."""
    tokens = C.dataset_tokens(50_000, 512)
    for gpu in ("RTX 4090", "A100 80GB"):
        h = C.training_hours(tokens, C.throughput_for(gpu, "qlora").tokens_per_second_per_gpu)
        assert 2 <= h <= 8, (gpu, h)
    assert C.training_hours(3600 * 1000, 1000) == 1.0
    assert C.training_hours(3600 * 1000, 1000, num_gpus=2) == 0.5
    # a range of throughputs: the faster end gives the fewer hours
    assert C.training_hours(3600 * 1000, (500, 1000)) == C.Range(1.0, 2.0)


def test_throughput_errors_name_the_argument():
    with pytest.raises(C.CostInputError, match=r"argument 'gpu'.*'TPU v5'.*the table has"):
        C.throughput_for("TPU v5", "lora")
    with pytest.raises(C.CostInputError, match=r"argument 'method'.*\['full', 'lora', 'qlora'\]"):
        C.throughput_for("RTX 4090", "prefix")
    with pytest.raises(C.CostInputError,
                       match=r"argument 'method'.*'qlora'.*'RTX 4090' and model 'Mistral 7B'"):
        C.throughput_for("RTX 4090", "qlora", model="Mistral 7B")


def test_malformed_throughput_file_names_line_and_field(tmp_path):
    good = (tmp_path / "t.csv")
    header = ",".join(C.THROUGHPUT_COLUMNS)
    ok = "M,lora,A100 80GB,1,1000,2048,2,2024,src,https://x.org,"
    good.write_text(f"{header}\n{ok}\n")
    assert C.load_throughput(good)[0].tokens_per_second_per_gpu == 1000
    cases = [
        (ok.replace(",1000,", ",fast,"), "tokens_per_second_per_gpu"),
        (ok.replace(",1000,", ",-5,"), "tokens_per_second_per_gpu"),
        (ok.replace("lora", "adapter"), "method"),
        (ok.replace(",2024,", ",April,"), "date"),
        (ok.replace("https://x.org", "x.org"), "source_url"),
        (ok.replace(",1,1000", ",1.5,1000"), "num_gpus"),
    ]
    for text, field in cases:
        good.write_text(f"{header}\n{ok}\n{text}\n")
        with pytest.raises(DataFileError, match=rf"line 3 .*field '{field}'"):
            C.load_throughput(good)


def test_malformed_assumptions_file(tmp_path):
    p = tmp_path / "a.csv"
    header = ",".join(C.ASSUMPTION_COLUMNS)
    p.write_text(f"{header}\nx,,5,,x,2026-06-01,src,,\n")
    with pytest.raises(DataFileError, match=r"line 2 .*field 'high'"):
        C.load_assumptions(p)
    p.write_text(f"{header}\nx,1,,,x,June,src,,\n")
    with pytest.raises(DataFileError, match=r"line 2 .*field 'as_of'"):
        C.load_assumptions(p)
    with pytest.raises(C.CostInputError, match=r"argument 'name'.*'nope'"):
        C.assumption("nope")


# --- TCO ----------------------------------------------------------------------------------------

def test_tco_components_and_training_is_the_smallest_slice():
    run = C.gpu_training_cost((2, 8), 1.64)
    hosting = C.monthly_hosting_cost(1.64)
    tco = C.total_cost_of_ownership(12, run, hosting, retrain="quarterly")
    assert tco.runs == 4
    comp = tco.components
    assert C.cents(comp["training compute"]) == C.Range(13.12, 52.48)
    assert C.cents(comp["data preparation & labelling"]) == C.Range(65.60, 524.80)  # 5-10x
    assert comp["evaluation tooling"] == C.Range(500, 2000)
    assert C.cents(comp[C.SERVING]) == 14169.60
    assert C.cents(tco.fine_tuning) == C.Range(578.72, 2577.28)  # all but serving
    assert C.cents(tco.total) == C.Range(14748.32, 16746.88)
    assert tco.smallest() == "training compute"
    assert tco.share("training compute").high < 0.01


def test_retraining_cadence():
    assert [C.training_runs(12, r) for r in ("none", "quarterly", "monthly")] == [1, 4, 12]
    assert C.training_runs(1, "monthly") == 1 and C.training_runs(4, "quarterly") == 2
    monthly = C.total_cost_of_ownership(12, 10.0, 0.0, pipeline_multiplier=5,
                                        evaluation_tooling=0, retrain="monthly")
    assert monthly.components["training compute"] == 120.0
    assert monthly.total == 720.0  # 120 compute + 600 data prep


# --- break-even -----------------------------------------------------------------------------

def test_api_cost_per_query_from_prices():
    # GPT-4.1 mini: 500 x $0.40/1M + 200 x $1.60/1M = $0.00052
    assert C.api_cost_per_query_for("OpenAI", "GPT-4.1 mini", 500, 200) == pytest.approx(0.00052)
    assert C.api_cost_per_query(1000, 0, 2.0, 8.0) == pytest.approx(0.002)


def test_break_even_volume():
    monthly = C.monthly_hosting_cost(1.64)  # $1,180.80
    per = C.api_cost_per_query_for("OpenAI", "GPT-4.1 mini", 500, 200)
    q = C.break_even_monthly_queries(monthly, per)
    assert q == pytest.approx(1180.80 / 0.00052)
    # at the break-even volume both cost the same; above it self-hosting is cheaper
    assert q * per == pytest.approx(monthly)
    assert C.break_even_monthly_queries(100.0, 0.01, self_hosted_cost_per_query=0.005) \
        == pytest.approx(20_000)
    r = C.break_even_monthly_queries((100.0, 200.0), 0.01)
    assert r == pytest.approx((10_000, 20_000))


def test_serving_the_same_volume_self_hosted_or_through_an_api():
    """The fair comparison: the same queries a month, a GPU all month against a price per query."""
    monthly = C.monthly_hosting_cost(1.64)                    # $1,180.80 a month
    per = C.api_cost_per_query_for("OpenAI", "GPT-4.1 mini", 500, 200)   # $0.00052
    low_volume = C.serving_comparison(12, monthly, 1_000_000, per)
    assert C.cents(low_volume.self_hosted) == 14169.60
    assert low_volume.api == pytest.approx(12 * 1_000_000 * 0.00052)     # $6,240
    assert low_volume.cheaper == "API"
    assert low_volume.break_even_queries == pytest.approx(1180.80 / 0.00052)
    high_volume = C.serving_comparison(12, monthly, 3_000_000, per)
    assert high_volume.cheaper == "self-hosted"
    # a GPU price range that straddles the API's cost: either can be cheaper
    assert C.serving_comparison(1, (500, 2000), 2_000_000, per).cheaper == "either"


def test_cumulative_costs_cross_at_break_even_month():
    c = C.cumulative_costs(12, upfront=1000, monthly_hosting=500, monthly_queries=100_000,
                           api_cost_per_query=0.01, retrain_cost=0, retrain="none")
    # self-hosted: 1000 + 500 m; API: 1000 m  ->  equal at m = 2
    assert c.self_hosted[:4] == [1000, 1500, 2000, 2500] and c.api[:4] == [0, 1000, 2000, 3000]
    assert c.break_even_month == 2
    never = C.cumulative_costs(12, 1000, 500, 100, 0.01)
    assert never.break_even_month is None
    quarterly = C.cumulative_costs(12, 0, 0, 0, 0.01, retrain_cost=10, retrain="quarterly")
    assert quarterly.self_hosted[-1] == 30  # retrains at months 3, 6 and 9


# --- nonsense is rejected, naming the argument -------------------------------------------------

@pytest.mark.parametrize("call, arg", [
    (lambda: C.gpu_training_cost(-1, 1.64), "hours"),
    (lambda: C.gpu_training_cost(0, 1.64), "hours"),
    (lambda: C.gpu_training_cost(2, -1.0), "hourly_rate"),
    (lambda: C.gpu_training_cost((8, 2), 1.64), "hours"),
    (lambda: C.gpu_training_cost("2h", 1.64), "hours"),
    (lambda: C.gpu_training_cost(2, 1.64, num_gpus=0), "num_gpus"),
    (lambda: C.managed_training_cost(0, 512, 3.0), "num_examples"),
    (lambda: C.managed_training_cost(10.5, 512, 3.0), "num_examples"),
    (lambda: C.managed_training_cost(100, 0, 3.0), "avg_tokens"),
    (lambda: C.managed_training_cost(100, 512, -3.0), "price_per_million"),
    (lambda: C.managed_training_cost(100, 512, 3.0, epochs=0), "epochs"),
    (lambda: C.managed_training_cost(100, float("nan"), 3.0), "avg_tokens"),
    (lambda: C.monthly_hosting_cost(-2), "hourly_rate"),
    (lambda: C.monthly_hosting_cost(2, hours_per_month=1000), "hours_per_month"),
    (lambda: C.training_hours(0, 1000), "dataset_tokens"),
    (lambda: C.training_hours(1e6, 0), "tokens_per_second"),
    (lambda: C.total_cost_of_ownership(0, 10, 100), "months"),
    (lambda: C.total_cost_of_ownership(12, -10, 100), "training_compute"),
    (lambda: C.total_cost_of_ownership(12, 10, 100, retrain="yearly"), "retrain"),
    (lambda: C.total_cost_of_ownership(12, 10, 100, pipeline_multiplier=-1),
     "pipeline_multiplier"),
    (lambda: C.api_cost_per_query(0, 0, 1, 1), "input_tokens"),
    (lambda: C.api_cost_per_query(-5, 10, 1, 1), "input_tokens"),
    (lambda: C.break_even_monthly_queries(100, 0), "api_cost_per_query"),
    (lambda: C.break_even_monthly_queries(100, 0.01, 0.02), "self_hosted_cost_per_query"),
    (lambda: C.cumulative_costs(12, 0, 100, -1, 0.01), "monthly_queries"),
    (lambda: C.serving_comparison(12, 100, -1, 0.01), "monthly_queries"),
    (lambda: C.serving_comparison(12, 100, 1000, 0), "api_cost_per_query"),
])
def test_bad_arguments_are_named(call, arg):
    with pytest.raises(C.CostInputError, match=rf"argument.*'{arg}"):
        call()


def test_unknown_provider_is_named():
    with pytest.raises(UnknownPriceError, match=r"provider 'Acme'.*known providers"):
        C.managed_training_quote("Acme", "x", 100, 512)
    with pytest.raises(UnknownPriceError, match=r"item 'GPT-9'"):
        C.api_cost_per_query_for("OpenAI", "GPT-9", 100, 100)


def test_every_seed_example_in_the_data_is_reproduced_to_the_cent():
    examples = C.seed_examples()
    assert [e.id for e in examples] == ["managed_together", "managed_vertex", "managed_openai",
                                        "qlora_a100", "endpoint_month"]
    for e in examples:
        assert e.matches_to_the_cent, (e.id, e.claimed, e.computed)


def test_seed_example_mismatch_is_detected(tmp_path):
    text = data_path("costs_seed_examples.csv").read_text()
    p = tmp_path / "ex.csv"
    p.write_text(text.replace("12.29,12.29", "12.30,12.30"))
    bad = [e.id for e in C.seed_examples(p) if not e.matches_to_the_cent]
    assert bad == ["managed_together"]
    p.write_text(text.replace("managed_vertex", "managed_acme"))
    with pytest.raises(DataFileError, match=r"line 3 .*field 'id'.*'managed_acme'"):
        C.seed_examples(p)


def test_shipped_assumptions_are_dated_and_sourced():
    table = C.load_assumptions()
    assert {"pipeline_multiplier", "evaluation_tooling", "hours_per_month",
            "qlora_speed_vs_lora", "underestimate_factor"} <= set(table)
    for a in table.values():
        assert a.source_name and a.as_of.year == 2026
        assert a.source_url == "" or a.source_url.startswith("https://")
    assert table["pipeline_multiplier"].value == C.Range(5, 10)
    assert table["hours_per_month"].value == 720
