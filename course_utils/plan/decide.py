"""Should you fine-tune? The seeds' decision framework as a function (lesson 01, used in 03).

`recommend(...)` walks five questions in order and returns the approach (prompting, RAG,
fine-tuning, or RAG + fine-tuning), the method when fine-tuning (QLoRA, LoRA, full, or a
managed API) and the reasons, each naming the rule that produced it:

    rule id               fires when                                   effect
    too_few_examples      clean examples < 500                          no fine-tuning yet: collect data
    few_examples          500 <= clean examples < 1,000                 a caveat: the low end
    changing_knowledge    knowledge is not stable (changes monthly+)    RAG carries the facts
    format_problem        prompting cannot hold the format/style        fine-tuning is the tool
    prompting_suffices    format/style is not the problem               no fine-tuning
    no_open_weights       open-weight models are not an option          a managed API (Vertex AI)
    low_volume            queries/month below the break-even volume     a managed API, no idle GPU
    high_volume           queries/month at or above the break-even      self-host on a rented GPU
    full_fine_tuning      max_quality and >= 100 GB of GPU memory       full fine-tuning
    lora_fits             >= 24 GB of GPU memory                         LoRA (faster than QLoRA)
    qlora_default         otherwise                                     QLoRA on one rented GPU

Thresholds and their sources live in `data/decide_rules.yaml`, the quality figures the
reasons quote in `data/published_figures.csv`; the break-even volume is computed from
`data/prices.csv` by `course_utils.plan.costs`.

What this leaves out: model size (a 7B-8B model is assumed, as in the seeds), latency and
privacy constraints, and quality targets — the lesson says what to weigh by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from course_utils.errors import DataFileError
from course_utils.files import read_yaml
from course_utils.paths import data_path
from course_utils.plan.costs.amounts import CostInputError, low_high
from course_utils.plan.costs.assumptions import assumption
from course_utils.plan.costs.break_even import api_cost_per_query_for, break_even_monthly_queries
from course_utils.plan.costs.hosting import monthly_hosting_cost
from course_utils.plan.costs.throughput import throughput_for
from course_utils.plan.prices import PriceRow, find_price, load_prices
from course_utils.plan.published import published_figure

APPROACHES = ("prompting", "RAG", "fine-tuning", "RAG + fine-tuning")
METHODS = ("QLoRA", "LoRA", "full", "managed API")
RULES = ("too_few_examples", "few_examples", "changing_knowledge", "format_problem",
         "prompting_suffices", "no_open_weights", "low_volume", "high_volume", "full_fine_tuning",
         "lora_fits", "qlora_default")


SEED_A = "'How to Fine-Tune an LLM: Real Costs and When It's Worth It' (mid-2026)"
SEED_B = "'Fine-tuning LLMs on a budget', zerotomodel.com (mid-2026)"


class DecisionInputError(ValueError):
    """An argument `recommend` cannot use; the message names it."""


@dataclass(frozen=True)
class Reason:
    rule: str      # one of RULES
    text: str      # what it means for this case
    source: str    # where the threshold comes from

    def __str__(self) -> str:
        return f"[{self.rule}] {self.text}"


@dataclass(frozen=True)
class Recommendation:
    approach: str                  # one of APPROACHES
    method: str | None             # one of METHODS when fine-tuning, else None
    reasons: tuple[Reason, ...]
    break_even_queries: float      # the volume threshold used by the low_volume rule
    managed_offer: str | None = None  # 'provider · item' when method == 'managed API'
    next_step: str = ""

    @property
    def rules(self) -> list[str]:
        return [r.rule for r in self.reasons]

    def summary(self) -> str:
        head = self.approach + (f" — {self.method}" if self.method else "")
        if self.managed_offer:
            head += f" ({self.managed_offer})"
        return head


def load_rules(path: str | Path | None = None) -> dict:
    """Lesson 01. Read and check `data/decide_rules.yaml`; errors name the file and the key."""
    path = Path(path) if path is not None else data_path("decide_rules.yaml")
    data = read_yaml(path)

    def need(keys: str, kind=(int, float)):
        node = data
        for k in keys.split("."):
            if not isinstance(node, dict) or k not in node:
                raise DataFileError(path, None, keys, "is missing.")
            node = node[k]
        if not isinstance(node, kind) or isinstance(node, bool):
            raise DataFileError(path, None, keys, f"must be a {getattr(kind, '__name__', 'number')}"
                                f", got {node!r}.")
        if kind == (int, float) and node <= 0:
            raise DataFileError(path, None, keys, f"must be > 0, got {node!r}.")
        return node

    for k in ("min_clean_examples.low", "min_clean_examples.high", "method_vram_gb.lora",
              "method_vram_gb.full", "break_even.input_tokens_per_query",
              "break_even.output_tokens_per_query"):
        need(k)
    for k in ("break_even.self_hosted_gpu.provider", "break_even.self_hosted_gpu.item",
              "break_even.api_model.provider", "break_even.api_model.item",
              "managed_api_default.provider", "managed_api_default.item",
              "open_weights_managed_default.provider", "open_weights_managed_default.item"):
        need(k, str)
    if data["min_clean_examples"]["low"] > data["min_clean_examples"]["high"]:
        raise DataFileError(path, None, "min_clean_examples.low", "is above .high.")
    return data


def default_break_even(rules: dict | None = None,
                       prices: Sequence[PriceRow] | None = None) -> float:
    """Lesson 01. Queries/month at which the rules' self-hosted GPU (all month) matches the rules' API.

    With the shipped data: a RunPod Community A100 at $1.64/hour x 720 hours against
    GPT-4.1 mini with 500 input + 200 output tokens per query.
    """
    rules = load_rules() if rules is None else rules
    prices = load_prices() if prices is None else prices
    be = rules["break_even"]
    gpu = find_price(be["self_hosted_gpu"]["provider"], be["self_hosted_gpu"]["item"],
                     "$/hour", rows=prices)
    hours = low_high(assumption("hours_per_month"))[0]
    monthly = monthly_hosting_cost(gpu.price_low, hours)
    per_query = api_cost_per_query_for(be["api_model"]["provider"], be["api_model"]["item"],
                                       be["input_tokens_per_query"],
                                       be["output_tokens_per_query"], rows=prices)
    return float(break_even_monthly_queries(monthly, per_query))


def _offer(entry: dict, prices: Sequence[PriceRow]) -> PriceRow:
    return find_price(entry["provider"], entry["item"], "$/1M training tokens", rows=prices)


def _flag(name: str, x) -> bool:
    if not isinstance(x, bool):
        raise DecisionInputError(f"argument '{name}' must be True or False, got {x!r}")
    return x


def _count(name: str, x, *, allow_none=False):
    if x is None and allow_none:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or x != x or x < 0 \
            or x == float("inf"):
        raise DecisionInputError(f"argument '{name}' must be a number >= 0, got {x!r}")
    return x


def _behaviour_and_data(knowledge_stable: bool, format_problem: bool, clean_examples: float,
                        rules: dict, reasons: list[Reason],
                        break_even_queries: float) -> Recommendation | None:
    """Questions 1-3 (knowledge, format/style, data), adding their reasons to `reasons`: the
    recommendation when they end the walk (no fine-tuning), else None."""
    lo, hi = rules["min_clean_examples"]["low"], rules["min_clean_examples"]["high"]
    src_data = rules["min_clean_examples"].get("source", "")

    # 1. knowledge: facts that move belong in retrieval, whatever else happens
    if not knowledge_stable:
        reasons.append(Reason("changing_knowledge",
                              "The facts change monthly or faster: keep them in a retrieval "
                              "index (RAG) that you re-index, not in weights you retrain.",
                              SEED_A + ": if facts change monthly or faster, RAG wins"))
    base = "prompting" if knowledge_stable else "RAG"

    # 2. format/style: the one problem fine-tuning is the tool for
    if not format_problem:
        reasons.append(Reason("prompting_suffices",
                              "Prompting already gets the format and style right, so "
                              "fine-tuning has nothing to add: "
                              + ("a good prompt." if knowledge_stable else "a good prompt + RAG."),
                              SEED_A + " and "
                              + SEED_B + ": fine-tuning changes behaviour, not facts"))
        return Recommendation(base, None, tuple(reasons), break_even_queries)

    # 3. data: without enough clean examples, stop here
    if clean_examples < lo:
        reasons.append(Reason("too_few_examples",
                              f"Only {clean_examples:,} clean examples: fewer than ~{lo:,}–{hi:,} "
                              "rarely move a model. Stop and collect and clean data first; "
                              "meanwhile push the prompt (few-shot examples, a schema).",
                              src_data))
        return Recommendation(base, None, tuple(reasons), break_even_queries,
                              next_step=f"collect at least {lo:,} clean examples, then ask again")
    reasons.append(Reason("format_problem",
                          "Prompting cannot reliably hold the output format or style: that is "
                          "behaviour, which fine-tuning changes.",
                          SEED_A + ": use fine-tuning when the format keeps drifting"))
    if clean_examples < hi:
        reasons.append(Reason("few_examples",
                              f"{clean_examples:,} clean examples is enough to try, but at the "
                              f"low end (~{lo:,}–{hi:,}); quality beats quantity.", src_data))
    return None


def recommend(knowledge_stable: bool, format_or_style_problem: bool, clean_examples: int,
              monthly_queries: float, can_run_open_weights: bool, *,
              gpu_vram_gb: float | None = None, max_quality: bool = False,
              break_even_queries: float | None = None, rules: dict | None = None,
              prices: Sequence[PriceRow] | None = None) -> Recommendation:
    """Lesson 01. Prompting, RAG, fine-tuning or both — and how — with the rule behind each step.

    knowledge_stable: do the facts the answers depend on stay put (change less than monthly)?
    format_or_style_problem: does prompting fail to hold the output format, style or register?
    clean_examples: how many clean, labelled examples of the task you own.
    monthly_queries: expected production queries per month.
    can_run_open_weights: may you run an open-weight model on hardware you rent or own?
    gpu_vram_gb: memory of the GPU you can rent (None: unknown, QLoRA is the safe default).
    max_quality: the last few points of quality justify full fine-tuning's cost.
    break_even_queries: override the volume threshold (default: `default_break_even()`).
    """
    knowledge_stable = _flag("knowledge_stable", knowledge_stable)
    format_problem = _flag("format_or_style_problem", format_or_style_problem)
    open_weights = _flag("can_run_open_weights", can_run_open_weights)
    max_quality = _flag("max_quality", max_quality)
    clean_examples = _count("clean_examples", clean_examples)
    monthly_queries = _count("monthly_queries", monthly_queries)
    gpu_vram_gb = _count("gpu_vram_gb", gpu_vram_gb, allow_none=True)
    if gpu_vram_gb == 0:
        raise DecisionInputError("argument 'gpu_vram_gb' must be > 0 or None (unknown), got 0")
    rules = load_rules() if rules is None else rules
    prices = load_prices() if prices is None else prices
    if break_even_queries is None:
        break_even_queries = default_break_even(rules, prices)
    else:
        break_even_queries = _count("break_even_queries", break_even_queries)

    reasons: list[Reason] = []
    stop = _behaviour_and_data(knowledge_stable, format_problem, clean_examples, rules, reasons,
                               break_even_queries)
    if stop is not None:
        return stop
    src_volume = rules["break_even"].get("source", "")
    approach = "fine-tuning" if knowledge_stable else "RAG + fine-tuning"

    # 4./5. who runs the weights, and does the volume pay for a GPU running all month?
    if not open_weights:
        return _managed(approach, reasons, break_even_queries, rules, prices)
    if monthly_queries < break_even_queries:
        offer = _offer(rules["open_weights_managed_default"], prices)
        reasons.append(Reason("low_volume",
                              f"{monthly_queries:,.0f} queries/month is below the ~"
                              f"{break_even_queries:,.0f} at which a GPU rented all month beats "
                              "a per-token API: the hosting would never pay for itself. Train "
                              f"and serve per token on a managed service: {offer.label()} at "
                              f"{offer.formatted()}.", src_volume))
        return Recommendation(approach, "managed API", tuple(reasons), break_even_queries,
                              managed_offer=offer.label())
    reasons.append(Reason("high_volume",
                          f"{monthly_queries:,.0f} queries/month is at or above the ~"
                          f"{break_even_queries:,.0f} at which a GPU rented all month costs less "
                          "than the per-token API: self-host the fine-tuned open-weight model.",
                          src_volume))
    method, reason = _method(gpu_vram_gb, max_quality, rules)
    return Recommendation(approach, method, tuple(reasons + [reason]), break_even_queries)


def _managed(approach: str, reasons: list[Reason], break_even_queries: float, rules: dict,
             prices: Sequence[PriceRow]) -> Recommendation:
    """No open weights: the rules' managed fine-tuning API."""
    offer = _offer(rules["managed_api_default"], prices)
    closed = sorted({r.provider for r in prices
                     if r.kind == "managed_training" and r.closed_to_new_users})
    reasons.append(Reason("no_open_weights",
                          "Open-weight models are not an option, so a managed fine-tuning "
                          f"API: {offer.label()} at {offer.formatted()}."
                          + (f" Closed to new users (data/prices.csv): {', '.join(closed)}."
                             if closed else ""),
                          rules["managed_api_default"].get("source", "")))
    return Recommendation(approach, "managed API", tuple(reasons), break_even_queries,
                          managed_offer=offer.label())


def _percent(name: str) -> str:
    """A quality figure of data/published_figures.csv as '90–95%'."""
    f = published_figure(name)
    return f"{f.low:g}%" if f.low == f.high else f"{f.low:g}–{f.high:g}%"


def _method(gpu_vram_gb: float | None, max_quality: bool, rules: dict) -> tuple[str, Reason]:
    """Full, LoRA or QLoRA on a self-hosted GPU, by the GPU memory at hand."""
    vram = rules["method_vram_gb"]
    if max_quality and gpu_vram_gb is not None and gpu_vram_gb >= vram["full"]:
        method, rule, text = "full", "full_fine_tuning", (
            f"You need the last few points of quality and have {gpu_vram_gb:g} GB: full "
            f"fine-tuning updates every weight (LoRA keeps ~{_percent('lora_quality_vs_full')}, "
            f"QLoRA ~{_percent('qlora_quality_vs_full')} of its quality).")
    elif gpu_vram_gb is not None and gpu_vram_gb >= vram["lora"]:
        method, rule, text = "LoRA", "lora_fits", (
            f"{gpu_vram_gb:g} GB holds a 16-bit 7B base: LoRA trains faster than QLoRA "
            "(no dequantization) at the same adapter size.")
    else:
        method, rule, text = "QLoRA", "qlora_default", (
            f"QLoRA (4-bit base + LoRA) fits a 7B model on one {vram['lora']} GB or smaller GPU, "
            f"at ~{_percent('qlora_quality_vs_full')} of full fine-tuning's quality: the default "
            "for most teams."
            + ("" if gpu_vram_gb is None else f" ({gpu_vram_gb:g} GB is below LoRA's ~"
                                              f"{vram['lora']} GB.)"))
    return method, Reason(rule, text, vram.get("source", ""))


def method_comparison(path: str | Path | None = None, gpu: str = "RTX 4090") -> list[dict]:
    """Lesson 01. The four methods side by side: the seeds' claims from
    `data/decide_methods.yaml`, each tagged with its article, plus the published single-GPU
    training throughput on `gpu` from `data/throughput.csv` where there is one."""
    path = Path(path) if path is not None else data_path("decide_methods.yaml")
    data = read_yaml(path)
    sources = data.get("sources", {})
    rows = []
    for i, m in enumerate(data.get("methods", [])):
        for key in ("name", "what_trains", "memory_7b", "quality", "cost", "when"):
            if key not in m:
                raise DataFileError(path, None, f"methods[{i}].{key}", "is missing.")

        def claims(key, m=m, i=i):
            parts = []
            for tag, text in m[key].items():
                if tag not in sources:
                    raise DataFileError(path, None, f"methods[{i}].{key}.{tag}",
                                        f"unknown source tag; known: {sorted(sources)}.")
                parts.append(f"{text} [{tag}]")
            return "; ".join(parts)

        measured = ""
        if m.get("throughput_method"):
            try:
                t = throughput_for(gpu, m["throughput_method"])
                measured = (f"{t.tokens_per_second_per_gpu:,.0f} tokens/s on one {gpu} "
                            f"({t.model}; {t.source_name}, {t.date})")
            except CostInputError:
                measured = f"no published figure for {gpu}"
        rows.append({"method": m["name"], "what trains": m["what_trains"],
                     "GPU memory, 7B (claims)": claims("memory_7b"),
                     "quality (claims)": claims("quality"), "cost (claims)": claims("cost"),
                     "when (claims)": claims("when"), "measured throughput": measured})
    return rows


def method_sources(path: str | Path | None = None) -> dict[str, str]:
    """Lesson 01. The article each tag of `method_comparison` stands for."""
    path = Path(path) if path is not None else data_path("decide_methods.yaml")
    return dict(read_yaml(path).get("sources", {}))
