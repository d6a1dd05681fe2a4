"""Lesson 05 on a CUDA GPU: the GPU code path (tiny model, no download) and a few real steps of the
7B preset with its peak memory beside the lesson 02 estimate. Skipped cleanly without CUDA."""

import dataclasses

import pytest
import torch

pytestmark = [pytest.mark.gpu, pytest.mark.slow,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_the_tiny_profile_trains_on_the_gpu_with_the_hardware_dtypes(tmp_path):
    from course_utils.training import run as T
    from course_utils.model.profiles import run_sizes

    profile = T.profile_for("tiny")   # on a GPU: bf16 (Ampere+) or fp16 (T4) compute
    sizes = dataclasses.replace(run_sizes(profile), train_examples=48, eval_examples=16,
                                max_steps=6, save_steps=3)
    s = T.train(profile, tmp_path, sizes=sizes)
    assert (s.device, s.status, s.global_step) == ("cuda", "finished", 6)
    assert s.compute_dtype in ("bfloat16", "float16")
    assert s.adapter_dtype == ("bfloat16" if s.compute_dtype == "bfloat16" else "float32")
    assert s.peak_memory_kind == "CUDA max allocated" and s.peak_memory_bytes > 0
    assert s.eval_loss_after < s.eval_loss_before


def test_a_few_steps_of_the_7b_preset_fit_the_estimate(tmp_path):
    from course_utils.training import run as T
    from course_utils.plan.memory import estimate_training_memory
    from course_utils.model.load import HubUnavailableError, load_model
    from course_utils.model.profiles import choose_profile, run_sizes

    profile = choose_profile()
    if profile.is_tiny:
        pytest.skip(f"this GPU runs the tiny profile: {profile.reason}")
    try:
        model, tok = load_model(profile.name, "nf4", profile)
    except HubUnavailableError as err:
        pytest.skip(f"the 7B preset cannot be downloaded here: {err}")
    sizes = run_sizes(profile)  # the T4-sized run: 4 x 512 tokens, 4 accumulation steps
    sizes = dataclasses.replace(sizes, train_examples=3 * sizes.batch_size * sizes.grad_accum,
                                eval_examples=8, max_steps=3, save_steps=3)
    s = T.train(profile, tmp_path, model=model, tokenizer=tok, sizes=sizes)
    assert (s.status, s.global_step) == ("finished", 3)
    assert s.eval_loss_after < s.eval_loss_before
    est = estimate_training_memory(model.config, "qlora", sizes.max_seq_len, sizes.batch_size,
                                   lora_r=16, target_modules="all-linear",
                                   compute_dtype={"bfloat16": "bf16", "float16": "fp16"}[s.compute_dtype],
                                   adapter_dtype={"bfloat16": "bf16", "float32": "fp32"}[s.adapter_dtype],
                                   optimizer="paged_adamw_32bit")
    print(f"\n{profile.preset.repo_id} on {profile.hardware.name}: peak {s.peak_memory_bytes / 1e9:.2f} GB "
          f"(CUDA max allocated) vs estimate {est.total_bytes / 1e9:.2f} GB at {sizes.max_seq_len} tokens; "
          f"{s.s_per_step:.2f} s/step, {s.tokens_per_s:,.0f} tokens/s")
    # The weights alone are a floor; the estimate (every row at full length, +1 GB fixed overhead
    # that max_allocated does not see) a ceiling. The T4-sized run must fit a T4 (15 GB).
    assert est.param_bytes <= s.peak_memory_bytes <= est.total_bytes
    assert s.peak_memory_bytes < 14.5e9
