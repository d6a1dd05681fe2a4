"""Lesson 06 regression gate: passes good systems, fails bad ones with the numbers in the message
(course_utils.evaluate.regression_gate)."""

import numpy as np
import pytest

from course_utils.evaluate.regression_gate import GateError, gate

SCORES = {
    "adapter": {"exact_match": np.array([1.0] * 45 + [0.0] * 5)},       # 0.90
    "base k-shot": {"exact_match": np.array([1.0] * 20 + [0.0] * 30)},  # 0.40
    "noisy": {"exact_match": [1.0] * 42 + [0.0] * 8},                   # 0.84
}


def test_gate_passes_and_reports_the_numbers():
    msg = gate(SCORES, "adapter", "exact_match", at_least=0.8, beats="base k-shot", margin=0.1)
    assert msg.startswith("✓") and "0.900" in msg and "0.400" in msg


def test_gate_fails_below_a_threshold_with_the_numbers():
    with pytest.raises(GateError) as e:
        gate(SCORES, "base k-shot", "exact_match", at_least=0.5)
    assert "0.400" in str(e.value) and "0.500" in str(e.value) and "short by 0.100" in str(e.value)


def test_gate_fails_below_another_system_plus_margin():
    with pytest.raises(GateError, match=r"0\.840 is not above adapter's 0\.900"):
        gate(SCORES, "noisy", "exact_match", beats="adapter")
    with pytest.raises(GateError, match=r"0\.950"):
        gate(SCORES, "adapter", "exact_match", beats="noisy", margin=0.11)


def test_gate_on_the_lower_bound_is_stricter_than_on_the_estimate():
    assert gate(SCORES, "noisy", "exact_match", at_least=0.8).startswith("✓")
    with pytest.raises(GateError, match="lower 95% bound"):
        gate(SCORES, "noisy", "exact_match", at_least=0.8, use="low")


def test_gate_names_unknown_systems_and_metrics():
    with pytest.raises(KeyError, match="'fine-tuned'.*systems"):
        gate(SCORES, "fine-tuned", "exact_match", at_least=0.5)
    with pytest.raises(KeyError, match="metric 'f1'"):
        gate(SCORES, "adapter", "f1", at_least=0.5)
    with pytest.raises(ValueError, match="at_least"):
        gate(SCORES, "adapter", "exact_match")


def test_gate_failure_is_an_assertion_error_so_a_test_or_ci_script_fails_on_it():
    assert issubclass(GateError, AssertionError)
