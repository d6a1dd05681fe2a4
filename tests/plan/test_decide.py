"""The decision framework: every rule has a case that fires it and one that does not."""

from __future__ import annotations

import pytest

from course_utils.errors import DataFileError
from course_utils.paths import data_path
from course_utils.plan import decide as D
from course_utils.plan.prices import UnknownPriceError

BE = 1_000_000  # a fixed break-even volume, so the rule tests do not depend on prices

# A case that reaches the method choice: stable facts, a format problem, plenty of data,
# high volume, open weights allowed.
BASE = dict(knowledge_stable=True, format_or_style_problem=True, clean_examples=5_000,
            monthly_queries=2 * BE, can_run_open_weights=True)


def rec(**changes):
    return D.recommend(**{**BASE, **changes}, break_even_queries=BE)


# rule -> (arguments that fire it, arguments that do not)
CASES = {
    "too_few_examples": (dict(clean_examples=499), dict(clean_examples=500)),
    "few_examples": (dict(clean_examples=500), dict(clean_examples=1_000)),
    "changing_knowledge": (dict(knowledge_stable=False), dict(knowledge_stable=True)),
    "format_problem": (dict(format_or_style_problem=True), dict(format_or_style_problem=False)),
    "prompting_suffices": (dict(format_or_style_problem=False), dict(format_or_style_problem=True)),
    "no_open_weights": (dict(can_run_open_weights=False), dict(can_run_open_weights=True)),
    "low_volume": (dict(monthly_queries=BE - 1), dict(monthly_queries=BE)),
    "high_volume": (dict(monthly_queries=BE), dict(monthly_queries=BE - 1)),
    "full_fine_tuning": (dict(max_quality=True, gpu_vram_gb=160),
                         dict(max_quality=True, gpu_vram_gb=80)),
    "lora_fits": (dict(gpu_vram_gb=24), dict(gpu_vram_gb=23)),
    "qlora_default": (dict(gpu_vram_gb=None), dict(gpu_vram_gb=48)),
}


def test_every_rule_has_cases():
    assert set(CASES) == set(D.RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires(rule):
    assert rule in rec(**CASES[rule][0]).rules


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_does_not_fire(rule):
    assert rule not in rec(**CASES[rule][1]).rules


def test_outcomes_of_the_rules():
    r = rec()
    assert (r.approach, r.method) == ("fine-tuning", "QLoRA")
    assert r.rules == ["format_problem", "high_volume", "qlora_default"]
    r = rec(clean_examples=100, knowledge_stable=False)
    assert (r.approach, r.method) == ("RAG", None) and "collect" in r.next_step
    assert rec(clean_examples=100).approach == "prompting"
    assert (rec(format_or_style_problem=False).approach, rec(format_or_style_problem=False).method) \
        == ("prompting", None)
    assert rec(knowledge_stable=False).approach == "RAG + fine-tuning"
    assert rec(format_or_style_problem=False, knowledge_stable=False).approach == "RAG"
    closed = rec(can_run_open_weights=False)
    assert closed.method == "managed API"
    assert closed.managed_offer == "Google Vertex AI · Gemini fine-tuning"
    assert "$3.00/1M training tokens" in str(closed.reasons[-1])
    assert "OpenAI" in closed.reasons[-1].text  # named as closed to new users, from the prices
    low = rec(monthly_queries=10)
    assert low.method == "managed API" and low.managed_offer.startswith("Together AI")
    assert rec(max_quality=True, gpu_vram_gb=160).method == "full"
    assert rec(max_quality=False, gpu_vram_gb=160).method == "LoRA"
    assert rec(gpu_vram_gb=24).method == "LoRA"
    assert rec(gpu_vram_gb=16).method == "QLoRA"


def test_every_reason_names_a_known_rule_and_a_source():
    for fire, _ in CASES.values():
        for reason in rec(**fire).reasons:
            assert reason.rule in D.RULES and reason.text and reason.source
            assert str(reason).startswith(f"[{reason.rule}]")


def test_every_outcome_is_a_known_approach_and_method():
    for case in CASES.values():
        for answers in case:
            r = rec(**answers)
            assert r.approach in D.APPROACHES
            assert r.method in D.METHODS if "fine-tuning" in r.approach else r.method is None


def test_default_break_even_comes_from_the_prices():
    # RunPod Community A100 $1.64/h x 720 h = $1,180.80 a month; GPT-4.1 mini at 500 in +
    # 200 out tokens = $0.00052 a query -> 2,270,769 queries a month.
    be = D.default_break_even()
    assert be == pytest.approx(1180.80 / 0.00052)
    r = D.recommend(True, True, 5_000, 2_000_000, True)
    assert r.break_even_queries == pytest.approx(be) and "low_volume" in r.rules
    assert "high_volume" in D.recommend(True, True, 5_000, 2_300_000, True).rules


@pytest.mark.parametrize("changes, arg", [
    (dict(knowledge_stable="yes"), "knowledge_stable"),
    (dict(format_or_style_problem=1), "format_or_style_problem"),
    (dict(can_run_open_weights=None), "can_run_open_weights"),
    (dict(clean_examples=-1), "clean_examples"),
    (dict(clean_examples="1k"), "clean_examples"),
    (dict(monthly_queries=float("nan")), "monthly_queries"),
    (dict(monthly_queries=-5), "monthly_queries"),
    (dict(gpu_vram_gb=0), "gpu_vram_gb"),
    (dict(gpu_vram_gb=-24), "gpu_vram_gb"),
    (dict(max_quality="very"), "max_quality"),
])
def test_bad_arguments_are_named(changes, arg):
    with pytest.raises(D.DecisionInputError, match=rf"argument '{arg}'"):
        rec(**changes)


def test_rules_file_errors_name_the_key(tmp_path):
    rules = D.load_rules()
    assert rules["min_clean_examples"]["low"] == 500
    p = tmp_path / "r.yaml"
    p.write_text("min_clean_examples: {low: 500}\n")
    with pytest.raises(DataFileError, match=r"field 'min_clean_examples.high'.*missing"):
        D.load_rules(p)
    text = data_path("decide_rules.yaml").read_text()
    p.write_text(text.replace("lora: 24", "lora: lots"))
    with pytest.raises(DataFileError, match=r"field 'method_vram_gb.lora'.*must be"):
        D.load_rules(p)
    p.write_text("a: [unclosed\n")
    with pytest.raises(DataFileError, match="not valid YAML"):
        D.load_rules(p)


def test_rules_naming_an_unpriced_offer_fail_clearly():
    rules = D.load_rules()
    rules["managed_api_default"] = {"provider": "Acme", "item": "x"}
    with pytest.raises(UnknownPriceError, match="provider 'Acme'"):
        D.recommend(True, True, 5_000, 10, False, rules=rules, break_even_queries=BE)


def test_method_comparison_tags_every_claim_and_adds_measurements(tmp_path):
    rows = D.method_comparison()
    assert [r["method"] for r in rows] == ["full", "LoRA", "QLoRA", "managed API"]
    sources = D.method_sources()
    assert set(sources) == {"A", "B"} and all("mid-2026" in v for v in sources.values())
    for r in rows:
        for key in ("GPU memory, 7B (claims)", "quality (claims)", "cost (claims)"):
            assert r[key].endswith(("[A]", "[B]")), (r["method"], key)
    assert rows[2]["measured throughput"].startswith("2,413 tokens/s on one RTX 4090")
    assert rows[3]["measured throughput"] == ""
    text = data_path("decide_methods.yaml").read_text()
    p = tmp_path / "m.yaml"
    p.write_text(text.replace('quality: {B: "the 100% baseline"}',
                              'quality: {C: "the 100% baseline"}'))
    with pytest.raises(DataFileError, match=r"methods\[0\]\.quality\.C.*unknown source tag"):
        D.method_comparison(p)
