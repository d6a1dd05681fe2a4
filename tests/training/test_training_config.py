"""Lesson 05 settings (course_utils.training.config): what a run gets on a CPU, a T4, an A100 and
an H100 (faked hardware), and the ranges its numbers must fall in."""

import inspect
import re
import warnings

import pytest
import torch

from course_utils.model.load import bnb_config
from course_utils.model.profiles import HardwareFacts, choose_profile, run_sizes
from course_utils.training import config as T
from course_utils.training.summary import memory_estimate

HW = {
    "cpu": HardwareFacts(),
    "t4": HardwareFacts(device="cuda", name="Tesla T4", vram_gb=15.8, bf16=False,
                        capability=(7, 5), gpu_count=1),
    "a100": HardwareFacts(device="cuda", name="NVIDIA A100-SXM4-80GB", vram_gb=85.1, bf16=True,
                          capability=(8, 0), gpu_count=1),
    "h100": HardwareFacts(device="cuda", name="NVIDIA H100 80GB HBM3", vram_gb=85.0, bf16=True,
                          capability=(9, 0), gpu_count=1),
}


def profile(kind):
    return choose_profile(HW[kind], env={"COURSE_PROFILE": "tiny"} if kind == "cpu" else {})


@pytest.mark.parametrize("kind, bf16, fp16, adapter", [
    ("cpu", False, False, "float32"),
    ("t4", False, True, "float32"),      # fp16 loss scaling cannot unscale bf16 adapter grads
    ("a100", True, False, "bfloat16"),
    ("h100", True, False, "bfloat16"),
])
def test_precision_follows_the_hardware(kind, bf16, fp16, adapter, tmp_path):
    p = profile(kind)
    s = T.sft_settings(p, tmp_path)
    assert (s["bf16"], s["fp16"]) == (bf16, fp16)
    assert s["use_cpu"] is (kind == "cpu")
    assert T.adapter_dtype_for(p) == adapter
    q = bnb_config(p)  # the one recipe, from course_utils.model.load
    assert q.load_in_4bit and q.bnb_4bit_quant_type == "nf4" and q.bnb_4bit_use_double_quant
    want = {"cpu": torch.float32, "t4": torch.float16}.get(kind, torch.bfloat16)
    assert q.bnb_4bit_compute_dtype == want


@pytest.mark.parametrize("kind", ["cpu", "t4", "a100", "h100"])
def test_settings_every_profile_shares(kind, tmp_path):
    p = profile(kind)
    s = T.sft_settings(p, tmp_path, seed=7)
    sizes = run_sizes(p)
    assert s["activation_checkpointing"] is True and "gradient_checkpointing" not in s
    assert s["num_train_epochs"] == 1                      # seeds: one pass, no overtraining
    assert s["assistant_only_loss"] is True
    assert s["packing"] is False and "padding_free" not in s
    assert s["report_to"] == ["tensorboard"]                # installed here; never an account service
    assert s["ddp_find_unused_parameters"] is False
    assert s["disable_tqdm"] is False                       # the progress bar survives quiet()
    assert s["eval_steps"] == s["save_steps"] == sizes.save_steps
    assert (s["per_device_train_batch_size"], s["gradient_accumulation_steps"], s["max_length"]) == \
        (sizes.batch_size, sizes.grad_accum, sizes.max_seq_len)
    assert s["seed"] == s["data_seed"] == 7
    if kind == "cpu":
        assert s["optim"] == "adamw_torch" and s["max_steps"] == sizes.max_steps > 0
    else:
        assert p.name == "qwen2.5-7b"                       # 7B preset on every GPU with >= 14 GB
        assert 100 <= s["save_steps"] <= 200                # seeds: checkpoint every 100-200 steps
        assert s["optim"] == "paged_adamw_32bit" and s["learning_rate"] == 2e-4
        assert s["max_steps"] == -1                         # the whole epoch


def test_cpu_settings_build_a_real_sftconfig_without_deprecation_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)       # e.g. gradient_checkpointing renamed
        cfg = T.sft_config(profile("cpu"), tmp_path)
    assert cfg.use_cpu and not cfg.bf16 and not cfg.fp16    # SFTConfig defaults bf16=True otherwise
    assert cfg.activation_checkpointing and cfg.assistant_only_loss
    assert cfg.max_length == run_sizes(profile("cpu")).max_seq_len


def test_overrides(tmp_path):
    s = T.sft_settings(profile("cpu"), tmp_path, max_steps=5, save_steps=2, learning_rate=3e-4)
    assert (s["max_steps"], s["save_steps"], s["eval_steps"], s["learning_rate"]) == (5, 2, 2, 3e-4)


def test_every_default_carries_a_comment():
    src = inspect.getsource(T.sft_settings)
    body = src[src.index("return dict("):]
    lines = [ln for ln in body.splitlines()[1:] if re.match(r"\s+\w+=", ln)]
    bare = [ln.strip() for ln in lines if "#" not in ln]
    assert not bare, f"settings without a reason: {bare}"
    lsrc = inspect.getsource(T.lora_config)
    for key in ("lora_alpha=", "lora_dropout=", "target_modules=", "bias="):
        line = next(ln for ln in lsrc.splitlines() if key in ln)
        assert "#" in line, line


def test_lora_config():
    c = T.lora_config()
    assert (c.r, c.lora_alpha, c.target_modules, c.bias) == (16, 32, "all-linear", "none")
    qv = T.lora_config("qv", r=8)
    assert set(qv.target_modules) == {"q_proj", "v_proj"} and qv.lora_alpha == 16
    assert T.lora_config(r=4, alpha=4).lora_alpha == 4


@pytest.mark.parametrize("kwargs, words", [
    ({"targets": "everything"}, ["targets", "everything", "all-linear", "qv"]),
    ({"r": 0}, ["r=0", "positive"]),
])
def test_lora_config_bad_input_names_the_argument_and_the_choices(kwargs, words):
    with pytest.raises(ValueError) as err:
        T.lora_config(**kwargs)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_profile_for():
    assert T.profile_for("tiny").name == "tiny"
    with pytest.raises(ValueError, match="gpt-5.*choose one of tiny"):
        T.profile_for("gpt-5")


def test_the_default_gpu_run_is_sized_for_a_t4():
    """The lesson 02 estimate of the 7B preset's run at the GPU sizes fits a T4's 15 GB."""
    p = profile("t4")
    sizes = run_sizes(p)
    est, note = memory_estimate(p.preset.repo_id, method="qlora", seq_len=sizes.max_seq_len,
                                batch_size=sizes.batch_size, r=16, targets="all-linear",
                                compute_dtype=p.compute_dtype,
                                adapter_dtype=T.adapter_dtype_for(p), device="cuda")
    assert est is not None, note
    assert 6e9 < est < 0.95 * 15.8e9, est / 1e9


def test_memory_estimate_is_guarded():
    est, note = memory_estimate({"nonsense": 1}, method="qlora", seq_len=8, batch_size=1, r=4,
                                targets="all-linear", compute_dtype="float32",
                                adapter_dtype="float32", device="cpu")
    assert est is None and "could not" in note


def test_the_run_record_matches_the_trainer_settings(tmp_path):
    """run_config.json records the values the trainer really uses (a resume compares them)."""
    p = profile("cpu")
    sizes = run_sizes(p)
    for kw in ({}, {"max_steps": 5, "save_steps": 2, "learning_rate": 3e-4}):
        s = T.sft_settings(p, tmp_path, sizes=sizes, seed=3, **kw)
        rec = T.run_record(p, sizes, quantization="nf4", targets="qv", r=8, alpha=None, seed=3,
                           learning_rate=kw.get("learning_rate"), adapter_dtype="float32",
                           max_steps=kw.get("max_steps"), save_steps=kw.get("save_steps"), world_size=1)
        assert (rec["max_steps"], rec["save_steps"], rec["learning_rate"], rec["seed"]) == \
            (s["max_steps"], s["save_steps"], s["learning_rate"], s["seed"])
        assert rec["alpha"] == T.lora_config("qv", 8).lora_alpha == 16


@pytest.mark.parametrize("name, bad, good", [
    ("max_steps", [0, -5, 2.5, "3"], [-1, 1, 60]),
    ("save_steps", [0, -1], [1, 100]),
    ("seed", [-1, 2**32], [0, 42]),
    ("learning_rate", [0.0, -1e-4, 0.5, float("nan"), float("inf")], [2e-4, 2e-3, 0.1]),
    ("batch_size", [0, True], [1, 8]),
    ("max_seq_len", [8], [16, 512]),
])
def test_setting_ranges_refuse_what_no_run_can_use(name, bad, good):
    for value in bad:
        problem = T.setting_problem(name, value)
        assert problem and problem.startswith("must be"), (name, value)
    for value in good:
        assert T.setting_problem(name, value) is None, (name, value)
    assert T.setting_problem(name, None) is None   # None: the profile's default


def test_importing_the_settings_loads_no_torch():
    """The command line checks its arguments with these modules before torch is imported."""
    import subprocess
    import sys

    code = ("import sys, course_utils.training.cli; "
            "print(sorted(m for m in ('torch', 'transformers', 'peft', 'trl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
