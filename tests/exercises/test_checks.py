"""Every lesson's exercise checks: None while unanswered, True for the right answer, False
(with a hint) for a wrong one, never an exception. Lessons 01-03 are checked through their
reference solutions in test_solutions.py."""

import numpy as np

from builders import write_adapter
from course_utils.dataset.rows import user_text
from course_utils.dataset.splits import mix
from course_utils.dataset.load import load_general, load_split
from course_utils.evaluate.metrics import parse_json_object
from course_utils.evaluate.regression_gate import gate
from course_utils.evaluate.stats import paired_test
from course_utils.exercises.lesson_04 import check_mix, check_rates_experiment, check_shouting_step
from course_utils.exercises.lesson_06 import check_gate, check_paired, check_urgency_metric
from course_utils.exercises.lesson_07 import (check_exercise_07_basic, check_exercise_07_stretch,
                                              check_exercise_07_variation)
from course_utils.plan.memory import max_adapters_that_fit


def test_exercise_checks_accept_right_answers_and_reject_wrong_ones(capsys):
    train, general = load_split("train"), load_general()
    assert check_mix(None) is None
    assert check_mix(mix(train, general, 0.25)) is False
    assert check_mix(mix(train, general, 0.30)) is True

    def shouting(rows):
        kept, dropped = [], []
        for r in rows:
            letters = [c for c in user_text(r) if c.isalpha()]
            if letters and sum(c.isupper() for c in letters) / len(letters) > 0.5:
                dropped.append((r, "shouting"))
            else:
                kept.append(r)
        return kept, dropped

    assert check_shouting_step(shouting) is True
    assert check_shouting_step(lambda rows: (rows, [])) is False
    assert check_shouting_step(lambda rows: 1 / 0) is False
    assert check_rates_experiment(None, None) is None
    out = capsys.readouterr().out
    assert out.count("✓") == 2 and "Hint" in out


def test_exercise_checks_accept_a_right_answer_and_refuse_a_missing_one(capsys):
    a, b = np.array([1.0, 1, 0, 1, 1, 0]), np.array([0.0, 1, 0, 0, 1, 0])
    assert check_paired(paired_test(a, b), a, b)
    assert not check_paired(paired_test(b, a), a, b)
    assert check_gate(lambda s: gate(s, "adapter", "schema_valid", at_least=0.8, use="low"))
    assert not check_gate(lambda s: gate(s, "adapter", "schema_valid", at_least=0.8))

    def urgency(outputs, refs):
        level = {"low": 0, "medium": 1, "high": 2}
        out = []
        for o, r in zip(outputs, refs):
            got, want = parse_json_object(o), parse_json_object(r)
            ok = isinstance(got, dict) and got.get("urgency") in level
            out.append(1 - abs(level[got["urgency"]] - level[want["urgency"]]) / 2 if ok else 0.0)
        return out

    assert check_urgency_metric(urgency)
    assert all(f(None) is None for f in (check_gate, check_urgency_metric))
    assert "✗" in capsys.readouterr().out


def test_exercise_checks(tmp_path, capsys):
    assert check_exercise_07_basic(None) is None
    assert check_exercise_07_basic(24) is False and check_exercise_07_basic(32) is True
    want = max_adapters_that_fit("mistral-7b", 40, quantization="none", batch_size=8,
                                   context_len=4096, lora_r=16)
    assert check_exercise_07_variation(want) is True and check_exercise_07_variation(want + 1) is False
    broken = write_adapter(tmp_path / "broken", r=24, cfg_extra={"modules_to_save": ["lm_head"]})
    assert check_exercise_07_stretch(broken, broken) is False
    assert check_exercise_07_stretch(write_adapter(tmp_path / "fixed"), broken) is True
    out = capsys.readouterr().out
    assert "◻" in out and "✓" in out and "✗" in out
