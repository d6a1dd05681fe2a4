"""Every reference solution (solutions/lesson_NN.py) passes its check; wrong answers fail it
with a hint that teaches without handing over the solution's calls.

`WRONG` is the one table: a row per wrong answer a learner might give (lesson, tier, the answer,
and a piece of the hint it must get). A solution returns its check's arguments (a tuple when the
check takes several); a wrong answer has the same shape, or is a function returning it (for
answers computed with the course's own functions). Later lessons add their
solutions/lesson_NN.py and their rows here; a row whose solution trains or loads a model is
wrapped in ``pytest.param(..., marks=pytest.mark.slow)``. A test fails when a solution file has
an exercise without a row.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect

import pytest

import course_utils
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
]
EXERCISES = sorted({(lesson, tier) for lesson, tier, *_ in WRONG})


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


def check_of(lesson: str, tier: str):
    return getattr(course_utils, solutions(lesson).CHECKS[f"exercise_{tier}"])


def args(answer) -> tuple:
    answer = answer() if callable(answer) else answer
    return answer if isinstance(answer, tuple) else (answer,)


def course_calls(fn) -> set[str]:
    """Names of the course's public functions the solution calls."""
    tree = ast.parse(inspect.getsource(fn))
    names = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
             for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return names & set(course_utils.__all__)


@pytest.mark.parametrize("lesson, tier", EXERCISES, ids=[f"{l}-{t}" for l, t in EXERCISES])
def test_the_solution_passes_its_check(lesson, tier, capsys):
    answer = args(solution(lesson, tier)())
    assert check_of(lesson, tier)(*answer) is True
    out = capsys.readouterr().out
    print(f"{lesson} {tier}: solution {answer!r} -> {out.strip()}")
    assert out.startswith("✓ ")


@pytest.mark.parametrize("lesson, tier", EXERCISES, ids=[f"{l}-{t}" for l, t in EXERCISES])
def test_unanswered_is_none_with_a_hint(lesson, tier, capsys):
    n = len(args(solution(lesson, tier)()))
    assert check_of(lesson, tier)(*([None] * n)) is None
    out = capsys.readouterr().out
    assert out.startswith("◻ Not answered yet. Hint: ") and len(out) > 60
    for name in course_calls(solution(lesson, tier)):
        assert f"{name}(" not in out, f"the hint hands over the call {name}(...)"


@pytest.mark.parametrize("lesson, tier, wrong, expected", WRONG,
                         ids=[f"{w[0]}-{w[1]}-{i}" for i, w in enumerate(WRONG)])
def test_a_wrong_answer_fails_with_a_hint_that_teaches(lesson, tier, wrong, expected, capsys):
    answer = args(wrong)
    assert check_of(lesson, tier)(*answer) is False
    out = capsys.readouterr().out
    print(f"{lesson} {tier}: wrong {answer!r} -> {out.strip()}")
    assert out.startswith("✗ Not quite. Hint: ")
    assert expected in out
    for name in course_calls(solution(lesson, tier)):
        assert f"{name}(" not in out, f"the hint hands over the call {name}(...)"


@pytest.mark.parametrize("lesson, tier", EXERCISES, ids=[f"{l}-{t}" for l, t in EXERCISES])
def test_nonsense_is_wrong_not_an_error(lesson, tier, capsys):
    n = len(args(solution(lesson, tier)()))
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
