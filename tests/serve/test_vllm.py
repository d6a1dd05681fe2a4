"""The vLLM path of lesson 07: adapter compatibility checks and the `vllm serve` command.

The adapters here are real PEFT folders written by hand (adapter_config.json + a safetensors file
with the tiny model's shapes), so every rule is tested in milliseconds without torch."""

import shlex
import subprocess
import sys

import numpy as np
import pytest

from course_utils.serve import vllm as V
from course_utils.paths import TINY_MODEL_DIR
from course_utils.model.presets import PRESETS

from builders import TINY, write_adapter


def errors(rep):
    return [i for i in rep.issues if i.level == "error"]


def test_a_plain_lora_adapter_passes(tmp_path):
    rep = V.check_adapter(write_adapter(tmp_path / "triage", targets=[s.name for s in TINY.linear_layers()]),
                          "tiny")
    assert rep.ok and rep.issues == [], rep
    assert rep.name == "triage" and rep.r == 8 and "down_proj" in rep.target_modules
    assert str(rep).startswith("✓ triage")


def test_max_lora_rank_is_rounded_up_to_a_value_vllm_accepts():
    assert [V.smallest_max_lora_rank(r) for r in (1, 2, 8, 9, 16, 24, 33, 300, 512)] == \
        [1, 8, 8, 16, 16, 32, 64, 320, 512]
    for bad in (0, -4, 2.5, True, 513):
        with pytest.raises(ValueError, match="r="):
            V.smallest_max_lora_rank(bad)


def test_rank_rules(tmp_path):
    odd = V.check_adapter(write_adapter(tmp_path / "r24", r=24), "tiny")
    assert odd.ok and [i.field for i in odd.issues] == ["r"] and "--max-lora-rank 32" in odd.issues[0].message
    huge = V.check_adapter(write_adapter(tmp_path / "r1024", r=1024), "tiny")
    assert not huge.ok and "above vLLM's largest" in errors(huge)[0].message
    pattern = V.check_adapter(write_adapter(tmp_path / "pat", r=8, cfg_extra={"rank_pattern": {"q_proj": 64}}), "tiny")
    assert pattern.r == 64


@pytest.mark.parametrize("extra, field, words", [
    ({"modules_to_save": ["lm_head"]}, "modules_to_save", "modules_to_save=None"),
    ({"use_dora": True}, "use_dora", "DoRA"),
    ({"bias": "lora_only"}, "bias", "bias='none'"),
    ({"trainable_token_indices": [5, 6]}, "trainable_token_indices", "embeddings"),
    ({"peft_type": "IA3"}, "peft_type", "LoRA adapters only"),
])
def test_config_rules_name_the_field_and_the_fix(tmp_path, extra, field, words):
    rep = V.check_adapter(write_adapter(tmp_path / "a", cfg_extra=extra), "tiny")
    assert not rep.ok
    assert [i for i in errors(rep) if i.field == field and words in i.message], rep


def test_trained_embeddings_lm_head_and_unknown_modules_are_refused(tmp_path):
    full = {"base_model.model.lm_head.weight": np.zeros((TINY.vocab_size, TINY.hidden_size), np.float32)}
    rep = V.check_adapter(write_adapter(tmp_path / "full", extra_tensors=full), "tiny")
    assert any("lm_head" in i.message and "lora_A/lora_B" in i.message for i in errors(rep)), rep
    emb = {"base_model.model.model.embed_tokens.lora_embedding_A": np.zeros((8, TINY.vocab_size), np.float32)}
    rep = V.check_adapter(write_adapter(tmp_path / "emb", extra_tensors=emb), "tiny")
    assert any("embed_tokens" in i.message for i in errors(rep)), rep
    rep = V.check_adapter(write_adapter(tmp_path / "odd", targets=("q_proj", "foo_proj")), "tiny")
    assert any("foo_proj" in i.message and "LoRA-capable" in i.message for i in errors(rep)), rep


def test_adapter_for_another_base_is_caught_by_shapes_and_name(tmp_path):
    rep = V.check_adapter(write_adapter(tmp_path / "big", hidden=512, base="someone/other-model"), "tiny")
    assert not rep.ok
    assert any(i.field == "base_model_name_or_path" and "do not fit the base" in i.message for i in errors(rep))
    assert any("trained on 'someone/other-model'" in i.message for i in rep.issues if i.level == "warning")
    other = V.check_adapter(write_adapter(tmp_path / "same", base="Qwen/Qwen2.5-7B-Instruct"), "tiny")
    assert other.ok and "trained on 'Qwen/Qwen2.5-7B-Instruct'" in str(other)


def test_missing_or_broken_folders(tmp_path):
    assert "adapter_config.json" in str(V.check_adapter(tmp_path / "nothing", "tiny"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "adapter_config.json").write_text("{ not json")
    assert not V.check_adapter(bad, "tiny").ok
    (write_adapter(tmp_path / "nost") / "adapter_model.safetensors").unlink()
    assert not V.check_adapter(tmp_path / "nost", "tiny").ok


def test_vllm_command_is_sized_from_the_adapters(tmp_path):
    ads = {"triage": write_adapter(tmp_path / "t", r=8), "moderation": write_adapter(tmp_path / "m", r=24),
           "policy_qa": write_adapter(tmp_path / "p", r=16)}
    cmd = V.vllm_command("tiny", ads)
    a = cmd.argv
    assert a[:4] == ["vllm", "serve", str(TINY_MODEL_DIR), "--enable-lora"]
    mods = a[a.index("--lora-modules") + 1:a.index("--max-loras")]
    assert mods == [f"{n}={p.resolve()}" for n, p in ads.items()]
    opt = lambda k: a[a.index(k) + 1]  # noqa: E731
    assert opt("--max-loras") == "3" and opt("--max-lora-rank") == "32" and opt("--max-cpu-loras") == "3"
    assert opt("--host") == "127.0.0.1"
    assert shlex.split(str(cmd).replace("\\\n", " ")) == a   # the printed form is the same command
    gpu = V.vllm_command("qwen2.5-7b", ads, max_loras=2, max_cpu_loras=8, max_model_len=4096, check=False)
    assert gpu.argv[2] == PRESETS["qwen2.5-7b"].repo_id and "--max-model-len" in gpu.argv


def test_vllm_command_refuses_what_vllm_would(tmp_path):
    good = write_adapter(tmp_path / "good")
    bad = write_adapter(tmp_path / "bad", cfg_extra={"modules_to_save": ["lm_head"]})
    with pytest.raises(ValueError, match="modules_to_save"):
        V.vllm_command("tiny", {"good": good, "bad": bad})
    with pytest.raises(ValueError, match="max_cpu_loras .* must be >= max_loras"):
        V.vllm_command("tiny", {"good": good}, max_loras=4, max_cpu_loras=2)
    with pytest.raises(ValueError, match="at least one adapter"):
        V.vllm_command("tiny", {})


def test_importing_the_compatibility_check_needs_no_torch():
    code = ("import sys, course_utils.serve.vllm\n"
            "assert not [m for m in ('torch', 'transformers', 'peft') if m in sys.modules]")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
