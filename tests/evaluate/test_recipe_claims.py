"""Lesson 05's recipe and data-size arms without training: their sizes per profile and the bad
input they refuse (course_utils.evaluate.recipe_claims). The arms themselves train in lesson 05's
notebook, which CI runs on the tiny profile."""

import pytest

from course_utils.evaluate.recipe_claims import arm_sizes, noisy_arm, size_arm
from course_utils.model.profiles import HardwareFacts, choose_profile

TINY = choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "tiny"})
H100 = choose_profile(HardwareFacts("cuda", "NVIDIA H100 80GB HBM3", 85.0, bf16=True), env={})


def test_cpu_arms_are_small_and_the_gpu_reaches_the_seeds_sizes():
    cpu, gpu = arm_sizes(TINY), arm_sizes(H100)
    assert cpu.precision_steps < gpu.precision_steps
    assert max(gpu.sizes) >= 1000 > max(cpu.sizes)        # the seeds' "500-1,000 examples"
    assert list(cpu.sizes) == sorted(cpu.sizes) and cpu.score_per_task >= 16


@pytest.mark.parametrize("n", [0, 10, 11])
def test_a_size_arm_must_be_smaller_than_the_course_mix(n):
    course = {"rows": [{"task": "general"}] * 10}
    with pytest.raises(ValueError, match="use 1 to 9"):
        size_arm(TINY, course, n)


def test_the_noisy_arm_refuses_the_same_bad_size():
    course = {"rows": [{"task": "general"}] * 10}
    with pytest.raises(ValueError):
        noisy_arm(TINY, course, 0)


def test_the_share_verdict_reads_the_interval_against_the_seeds_range():
    from course_utils.evaluate.recipe_claims import share_verdict

    assert share_verdict({"share": 0.7, "low": 0.65, "high": 0.76}).startswith("contradicted")
    assert share_verdict({"share": 0.95, "low": 0.91, "high": 0.99}).startswith("supported")
    assert share_verdict({"share": 0.9, "low": 0.8, "high": 1.0}).startswith("not settled")


def test_nf4_is_judged_one_sided_doing_better_does_not_contradict_it():
    from course_utils.evaluate.row_loss import noninferiority_verdict

    assert noninferiority_verdict({"low": -0.11, "high": -0.01}, 0.1).startswith("supported")
    assert noninferiority_verdict({"low": -0.01, "high": 0.2}, 0.1).startswith("not settled")
    assert noninferiority_verdict({"low": 0.2, "high": 0.3}, 0.1).startswith("contradicted")
