"""Every reference solution (solutions/lesson_NN.py) passes its check; wrong answers fail it
with a hint that teaches without handing over the solution's calls.

`WRONG` is the one table: a row per wrong answer a learner might give (lesson, tier, the answer,
and a piece of the hint it must get). A solution returns its check's arguments (a tuple when the
check takes several); a wrong answer has the same shape, or is a function returning it (for
answers computed with the course's own functions). Later lessons add their
solutions/lesson_NN.py and their rows here; an exercise whose solution trains, loads a model or
takes more than a few seconds is listed in `SLOW`, and its rows are wrapped in
``pytest.param(..., marks=pytest.mark.slow)``. A solution is computed once per session
(`answer_of`). A test fails when a solution file has an exercise without a row.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import reprlib
import tempfile
from pathlib import Path

import pytest

import course_utils
from builders import write_adapter
from course_utils.paths import REPO_ROOT

SOLUTIONS_DIR = REPO_ROOT / "solutions"
TIERS = ("basic", "variation", "stretch")


def _lora_basic():
    run = dict(config="llama-3.1-8b", method="lora", seq_len=2048, batch_size=2, lora_r=16)
    return course_utils.estimate_training_memory(**run).total_gb


def _activations_without_checkpointing():
    run = dict(config="llama-3.1-8b", method="qlora", seq_len=2048, batch_size=2, lora_r=16)
    return course_utils.estimate_training_memory(**run, gradient_checkpointing=False).gb("activations")


def _seconds_not_hours():
    return solution("03", "variation")() * 3600


def _swapped_ends():
    low, high = solution("03", "stretch")()
    return high, low


def _mix_at(fraction):
    return lambda: course_utils.mix(course_utils.load_split("train"), course_utils.load_general(),
                                    domain_fraction=fraction, seed=0)


def _mix_with_repeats():
    rows = _mix_at(0.30)()
    return rows + rows[:5]


def _lessons_truth_at_the_new_rate():
    """The shape `make_raw(seed=0, rates=...)` gives: the lesson's own seed."""
    truth = course_utils.load_truth()
    return {**truth, "rates": {**truth["rates"], "exact_duplicate": 0.15}}, []


def _shouting_over_characters(rows):
    """Capitals over all characters: digits and spaces dilute a shouted message."""
    kept, dropped = [], []
    for row in rows:
        text = course_utils.user_text(row)
        upper = sum(c.isupper() for c in text)
        (dropped.append((row, "shouting")) if text and upper / len(text) > 0.5 else kept.append(row))
    return kept, dropped


def _shouting_without_letters_too(rows):
    """Drops a text with no letters: 0 capitals of 0 letters is 'at least half'."""
    kept, dropped = [], []
    for row in rows:
        letters = [c for c in course_utils.user_text(row) if c.isalpha()]
        upper = sum(c.isupper() for c in letters)
        (dropped.append((row, "shouting")) if upper >= len(letters) / 2 else kept.append(row))
    return kept, dropped


def _q_and_v_as_wide_as_q():
    cfg = course_utils.resolve_config("tiny")
    return cfg.num_hidden_layers * 2 * 8 * (cfg.hidden_size + cfg.num_attention_heads * cfg.head_dim)


def _all_linear_twice():
    run_qv, run_all = answer_of("05", "variation")
    return run_all, run_all


def _preemptions_swapped():
    first, second, final, reference = answer_of("05", "stretch")
    return second, first, final, reference


def _paired_flipped():
    _result, a, b = answer_of("06", "basic")
    return course_utils.paired_test(b, a), a, b


def _paired_on_other_rows():
    _result, a, b = answer_of("06", "basic")
    return course_utils.paired_test(a[::-1], b), a, b


def _paired_on_another_metric():
    _result, a, b = answer_of("06", "basic")
    return course_utils.paired_test(a, 1 - b), a, b


def _gate_on_the_mean(scores):
    return course_utils.gate(scores, "adapter", "schema_valid", at_least=0.8)


def _gate_raising_the_wrong_error(scores):
    if scores["adapter"]["schema_valid"].mean() < 0.9:
        raise ValueError("too low")


def _exact_urgency(outputs, references):
    return [float(o == r) for o, r in zip(outputs, references)]


def _slots_at_own_ranks():
    return sum(course_utils.lora_param_count("qwen2.5-7b", r) for r in (4, 8, 24)) * 2 / 1e6


def _slots_at_rank_24():
    return 3 * course_utils.lora_param_count("qwen2.5-7b", 24) * 2 / 1e6


def _slot_parameters():
    return answer_of("07", "basic") / 2


def _one_adapter_too_many():
    return answer_of("07", "variation") + 1


def _the_broken_adapter():
    folder = Path(tempfile.mkdtemp(prefix="lesson07-broken-")) / "broken"
    return write_adapter(folder, r=24, cfg_extra={"modules_to_save": ["lm_head"]})


# Exercises whose solution trains, loads a model or runs the whole curation (seconds to minutes).
SLOW = {("04", "variation"), ("05", "variation"), ("05", "stretch"), ("07", "stretch")}

# (lesson, tier, wrong answer, a piece of the hint it must get)
WRONG = [
    ("01", "basic", ("fine-tuning", "QLoRA"), "question 4"),
    ("01", "basic", ("RAG", "QLoRA"), "question 1"),
    ("01", "variation", "RAG", "fixes behaviour"),
    ("01", "variation", "fine-tuning", "re-index"),
    ("01", "stretch", course_utils.default_break_even, "500 + 200"),
    ("01", "stretch", 1_000_000_000, "hours in a month"),
    ("02", "basic", _lora_basic, "LoRA's figure"),
    ("02", "basic", "about 17", "answer with a number"),
    ("02", "variation", 4, "more than"),
    ("02", "variation", 2, "a larger one still fits"),
    ("02", "stretch", _activations_without_checkpointing, "each layer's input"),
    ("02", "stretch", 1.0, "off and with it on"),
    ("03", "basic", 48.0, "two epochs"),
    ("03", "basic", 96.01, "per million training tokens"),
    ("03", "variation", _seconds_not_hours, "seconds"),
    ("03", "variation", 5.0, "3,600"),
    ("03", "stretch", _swapped_ends, "swapped"),
    ("03", "stretch", (1.0, 2.0), "half a checkpoint interval"),
    ("04", "basic", _mix_at(0.25), "counts task rows over all rows"),
    ("04", "basic", _mix_at(0.70), "share of general rows"),
    ("04", "basic", _mix_with_repeats, "without replacement"),
    ("04", "variation", lambda: (course_utils.load_truth(), []), "setting of the generator"),
    ("04", "variation", _lessons_truth_at_the_new_rate, "another seed than 0"),
    ("04", "stretch", lambda: _shouting_over_characters, "letters only"),
    ("04", "stretch", lambda: _shouting_without_letters_too, "without letters"),
    ("05", "basic", _q_and_v_as_wide_as_q, "grouped-query attention"),
    ("05", "basic", lambda: 2 * solution("05", "basic")(), "rank 16"),
    ("05", "variation", _all_linear_twice, "q_proj and v_proj only"),
    ("05", "stretch", _preemptions_swapped, "after the first"),
    ("06", "basic", _paired_flipped, "sign is flipped"),
    ("06", "basic", _paired_on_other_rows, "not paired"),
    ("06", "basic", _paired_on_another_metric, "base k-shot's scores"),
    ("06", "variation", lambda: _gate_on_the_mean, "lower end"),
    ("06", "variation", lambda: _gate_raising_the_wrong_error, "not GateError"),
    ("06", "stretch", lambda: _exact_urgency, "one level off is half right"),
    ("07", "basic", _slots_at_own_ranks, "own ranks"),
    ("07", "basic", _slots_at_rank_24, "not a value vLLM accepts"),
    ("07", "basic", _slot_parameters, "2-byte bf16"),
    ("07", "variation", _one_adapter_too_many, "KV cache"),
    ("07", "stretch", _the_broken_adapter, "compatibility report"),
]
EXERCISES = sorted({(lesson, tier) for lesson, tier, *_ in WRONG})


def _slow_if_needed(values, ids):
    """pytest params, marked slow when their exercise is in SLOW."""
    return [pytest.param(*v, id=i, marks=pytest.mark.slow if tuple(v[:2]) in SLOW else ())
            for v, i in zip(values, ids)]


EXERCISE_PARAMS = _slow_if_needed(EXERCISES, [f"{l}-{t}" for l, t in EXERCISES])
WRONG_PARAMS = _slow_if_needed(WRONG, [f"{w[0]}-{w[1]}-{i}" for i, w in enumerate(WRONG)])


@functools.cache
def solutions(lesson: str):
    """solutions/lesson_NN.py as a module (the folder is not a package)."""
    path = SOLUTIONS_DIR / f"lesson_{lesson}.py"
    spec = importlib.util.spec_from_file_location(f"solutions_lesson_{lesson}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def solution(lesson: str, tier: str):
    return getattr(solutions(lesson), f"exercise_{tier}")


@functools.cache
def answer_of(lesson: str, tier: str):
    """The solution's answer, computed once (some solutions train)."""
    return solution(lesson, tier)()


def n_answers(lesson: str, tier: str) -> int:
    """How many answers the check takes (its parameters without a default)."""
    params = inspect.signature(check_of(lesson, tier)).parameters.values()
    return sum(p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD for p in params)


def check_of(lesson: str, tier: str):
    return getattr(course_utils, solutions(lesson).CHECKS[f"exercise_{tier}"])


def as_args(answer) -> tuple:
    """A check's arguments: a tuple as it is, one answer as a 1-tuple."""
    return answer if isinstance(answer, tuple) else (answer,)


def args(wrong) -> tuple:
    """A WRONG row's answer: a value, or a function computing it (an answer that is itself a
    function is wrapped in a lambda)."""
    return as_args(wrong() if callable(wrong) else wrong)


def course_calls(lesson: str) -> set[str]:
    """Names of the course's public functions the lesson's solutions call (any of its
    functions: a solution may return a function that calls them)."""
    tree = ast.parse(inspect.getsource(solutions(lesson)))
    names = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
             for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return names & set(course_utils.__all__)


@pytest.mark.parametrize("lesson, tier", EXERCISE_PARAMS)
def test_the_solution_passes_its_check(lesson, tier, capsys):
    answer = as_args(answer_of(lesson, tier))
    capsys.readouterr()  # what computing the answer printed (a training log)
    assert check_of(lesson, tier)(*answer) is True
    out = capsys.readouterr().out
    print(f"{lesson} {tier}: solution {reprlib.repr(answer)} -> {out.strip()}")
    assert out.startswith("✓ ")


@pytest.mark.parametrize("lesson, tier", EXERCISES, ids=[f"{l}-{t}" for l, t in EXERCISES])
def test_unanswered_is_none_with_a_hint(lesson, tier, capsys):
    n = n_answers(lesson, tier)
    assert check_of(lesson, tier)(*([None] * n)) is None
    out = capsys.readouterr().out
    assert out.startswith("◻ Not answered yet. Hint: ") and len(out) > 60
    for name in course_calls(lesson):
        assert f"{name}(" not in out, f"the hint hands over the call {name}(...)"


@pytest.mark.parametrize("lesson, tier, wrong, expected", WRONG_PARAMS)
def test_a_wrong_answer_fails_with_a_hint_that_teaches(lesson, tier, wrong, expected, capsys):
    answer = args(wrong)
    capsys.readouterr()
    assert check_of(lesson, tier)(*answer) is False
    out = capsys.readouterr().out
    print(f"{lesson} {tier}: wrong {reprlib.repr(answer)} -> {out.strip()}")
    assert out.startswith("✗ Not quite. Hint: ")
    assert expected in out
    for name in course_calls(lesson):
        assert f"{name}(" not in out, f"the hint hands over the call {name}(...)"


@pytest.mark.parametrize("lesson, tier", EXERCISES, ids=[f"{l}-{t}" for l, t in EXERCISES])
def test_nonsense_is_wrong_not_an_error(lesson, tier, capsys):
    n = n_answers(lesson, tier)
    for junk in ("many", -1, float("nan"), True, object(), [1, 2]):
        assert check_of(lesson, tier)(*([junk] * n)) is False


def test_every_solution_has_a_check_and_a_row():
    files = sorted(SOLUTIONS_DIR.glob("lesson_*.py"))
    assert files, "no solutions/lesson_NN.py"
    for path in files:
        lesson = path.stem.removeprefix("lesson_")
        module = solutions(lesson)
        tiers = [name.removeprefix("exercise_") for name in vars(module)
                 if name.startswith("exercise_")]
        assert sorted(tiers) == sorted(TIERS), path
        assert set(module.CHECKS) == {f"exercise_{t}" for t in TIERS}, path
        for tier in tiers:
            assert (lesson, tier) in EXERCISES, f"add a WRONG row for lesson {lesson}, {tier}"
            assert callable(check_of(lesson, tier))
