"""`python -m course_utils.gpu_check`: the ten-minute 7B check, rehearsed on a CPU.

The steps run on an injectable `Source` (hardware facts + model): here a fake T4's facts and a
mini Qwen2 model standing in for the 7B. The command is run as a learner types it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from course_utils.model.profiles import HardwareFacts, choose_profile
from course_utils.paths import REPO_ROOT
from course_utils.tools import gpu_check as G

CPU = HardwareFacts()


def _command(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "course_utils.gpu_check", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_without_a_gpu_or_a_model_there_is_nothing_to_check():
    why = G.gather(hardware=CPU)
    assert isinstance(why, str) and "no CUDA GPU" in why and "--model" in why
    small = replace(G.COURSE_GPUS["t4"], name="GeForce GTX 1070", vram_gb=8.0)
    checked = G.gather(hardware=small)     # a GPU under 14 GB runs smol: checked on that GPU
    assert isinstance(checked, G.Source) and checked.preset == "smol"
    # a preset forced on a CPU without a model folder: still nothing to run in ten minutes
    assert "no CUDA GPU" in G.gather(preset="mistral-7b", hardware=CPU)


def test_faked_facts_pick_the_profile_but_not_the_device(tmp_path):
    src = G.gather(model=str(tmp_path), fake="t4", hardware=CPU)
    assert src.preset == "qwen2.5-7b" and src.faked and src.stand_in
    assert src.device.device == "cpu" and src.facts.name == "Tesla T4"
    sizes = G.check_sizes(choose_profile(src.facts, env={}), steps=10)
    assert (sizes.batch_size, sizes.max_seq_len, sizes.grad_accum, sizes.max_steps) == (4, 512, 1, 10)
    on_gpu = G.gather(hardware=G.COURSE_GPUS["a100-80"])
    assert on_gpu.model == on_gpu.preset == "qwen2.5-7b" and not on_gpu.stand_in


@pytest.mark.slow
def test_a_failing_step_is_reported_and_ends_the_check(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "qwen2"}')
    src = G.gather(model=str(broken), fake="t4", hardware=CPU)
    report = G.run_check(src, tmp_path / "out", steps=1)
    assert [s.status for s in report.steps] == ["FAIL"]
    assert "result: FAIL (1 steps, 1 failed)" in str(report)


@pytest.mark.slow
def test_the_command_says_why_and_exits_3_on_a_cpu():
    out = _command(timeout=120)
    assert out.returncode == G.NOTHING_TO_CHECK == 3, out.stderr[-2000:]
    assert out.stdout.startswith("Nothing to check: no CUDA GPU here")
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_the_command_runs_every_step_on_a_mini_model_under_fake_t4_facts(tmp_path):
    from course_utils.model.mini import build_mini_model

    folder = build_mini_model("qwen2.5-7b", tmp_path / "mini")
    out = _command("--model", str(folder), "--fake-hardware", "t4", "--steps", "3",
                   "--out", str(tmp_path / "check"))
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    report = out.stdout
    assert "GPU: Tesla T4, 15 GB" in report and "[FAKED facts; ran on CPU]" in report
    assert "standing in for Qwen/Qwen2.5-7B-Instruct" in report
    for step in ("load qwen2.5-7b in 4-bit", "train 3 QLoRA steps", "save + reload adapter",
                 "generate with the adapter"):
        assert f"PASS  {step}" in report, report
    assert "INFO  peak memory vs lesson 02" in report and "process RSS on the CPU" in report
    assert "lesson 02 for qwen2.5-7b on Tesla T4: 12.5 GB of 15" in report
    assert report.rstrip().splitlines()[-1].startswith("result: PASS (5 steps, 0 failed)")
    assert (tmp_path / "check" / "report.txt").read_text() == report
