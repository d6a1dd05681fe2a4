"""scripts/bench_training.py: the FLOP estimate, the matmul peak, and the command line's help."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "bench_training.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_training", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_flops_per_token_counts_each_pass():
    f = _bench().training_flops_per_token
    n = 1_000_000
    fwd, input_grads, weight_grads, recompute = 2 * n, 2 * n, 2 * n, 2 * n
    assert f(n, lora=True, checkpointing=True) == fwd + input_grads + recompute == 6 * n
    assert f(n, lora=True, checkpointing=False) == fwd + input_grads == 4 * n
    assert f(n, lora=False, checkpointing=False) == fwd + input_grads + weight_grads == 6 * n  # Kaplan's 6N
    assert f(n, lora=False, checkpointing=True) == 8 * n


def test_training_flops_per_token_refuses_no_parameters():
    with pytest.raises(ValueError, match="n_params=0"):
        _bench().training_flops_per_token(0, lora=True, checkpointing=True)


def test_matmul_peak_flops_is_positive_and_keeps_the_thread_count():
    import torch

    bench = _bench()
    before = torch.get_num_threads()
    peak = bench.matmul_peak_flops(n=256, repeats=2, threads=1)
    assert isinstance(peak, float) and peak > 0
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="repeats=0"):
        bench.matmul_peak_flops(n=256, repeats=0)


def test_help_names_both_presets():
    out = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "--preset {smol,tiny}" in out.stdout and "--steps" in out.stdout
