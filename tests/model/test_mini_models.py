"""The 7B/8B path rehearsed on mini models of each preset's class (Qwen2, Mistral, Llama 3.1).

Each mini model is built at test time from the preset's published config (2 layers, small
widths; course_utils.model.mini) and goes through the code a GPU learner's run takes: the 4-bit
loader, chat formatting with the loss mask, two SFT steps with `train(preset, out, base=folder)`
(checkpoint, then resume), the vLLM compatibility check, mixed-adapter serving and the merge.
Minutes per preset are written to build/mini_models.md.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from course_utils import (MultiAdapterModel, adapter_difference, chat, check_adapter,
                          expected_trained_text, linear_layer_summary, load_model, merge_roundtrip,
                          task_rows, tokenize_with_mask, train, trained_text)
from course_utils.model.load import format_messages
from course_utils.model.mini import MINI_PRESETS, build_mini_model, chat_template, mini_config, real_config
from course_utils.model.profiles import RunSizes
from course_utils.paths import REPO_ROOT

pytestmark = pytest.mark.slow

CLASSES = {"qwen2.5-7b": "Qwen2ForCausalLM", "mistral-7b": "MistralForCausalLM",
           "llama-3.1-8b": "LlamaForCausalLM"}
SIZES = RunSizes(train_examples=8, eval_examples=4, max_steps=2, batch_size=2, grad_accum=1,
                 max_seq_len=256, save_steps=1)
LINEAR = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
TIMES_FILE = REPO_ROOT / "build" / "mini_models.md"


def _saved_template(folder) -> str | None:
    """The chat template a saved tokenizer carries (chat_template.jinja or tokenizer_config.json)."""
    jinja = Path(folder) / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text()
    return json.loads((Path(folder) / "tokenizer_config.json").read_text()).get("chat_template")


def _record(preset: str, seconds: float) -> None:
    TIMES_FILE.parent.mkdir(exist_ok=True)
    lines = TIMES_FILE.read_text().splitlines() if TIMES_FILE.is_file() else []
    lines = [ln for ln in lines if not ln.startswith(f"| {preset} ")] or [
        "| preset | class | minutes (2 cores, shared) |", "|---|---|---|"]
    lines.append(f"| {preset} | {CLASSES[preset]} | {seconds / 60:.1f} |")
    TIMES_FILE.write_text("\n".join(lines) + "\n")


def test_the_mini_config_keeps_the_real_models_layout():
    """Same class, GQA ratio, biases, tying and rope settings as the published config."""
    for preset in MINI_PRESETS:
        real = real_config(preset)
        mini = mini_config(preset, 2112)
        assert type(mini) is type(real) and mini.architectures == real.architectures
        assert (mini.num_attention_heads // mini.num_key_value_heads
                == real.num_attention_heads // real.num_key_value_heads)
        assert mini.tie_word_embeddings == real.tie_word_embeddings is False
        assert mini.rope_parameters == real.rope_parameters
        assert mini.num_hidden_layers == 2 and mini.hidden_size < 256
    assert real_config("llama-3.1-8b").rope_parameters["rope_type"] == "llama3"


@pytest.mark.parametrize("preset", MINI_PRESETS)
def test_the_7b_path_runs_on_a_mini_model(preset, tmp_path):
    t0 = time.perf_counter()
    folder = build_mini_model(preset, tmp_path / "base")  # the preset's own chat template

    # the loader: 4-bit decoder layers, the preset's own class and layout
    model, tok = load_model(folder, quantization="nf4")
    assert type(model).__name__ == CLASSES[preset]
    assert linear_layer_summary(model).get("Linear4bit") == 2 * 7
    attn = model.model.layers[0].self_attn
    assert (attn.q_proj.bias is not None) == (preset == "qwen2.5-7b")
    if preset == "llama-3.1-8b":
        assert model.config.rope_parameters["rope_type"] == "llama3"

    # chat formatting: a system message reaches every template; the mask trains the reply only
    row = task_rows("train", 1)[0]
    msgs = format_messages(row["messages"], preset)
    assert [m["role"] for m in msgs][0] == ("user" if preset == "mistral-7b" else "system")
    enc = tokenize_with_mask(msgs, tok)
    space = " " if preset == "mistral-7b" else ""  # Mistral v0.3 writes "[/INST] " + reply
    assert trained_text(enc, tok) == space + expected_trained_text(msgs, tok)
    assert sum(enc["assistant_mask"]) < len(enc["input_ids"]) / 2
    assert isinstance(chat(model, tok, row["messages"][:2], max_new_tokens=4, preset_name=preset), str)
    del model

    # two SFT steps with the preset's profile and LoRA targets: checkpoint at 1, resume to 2;
    # the rows keep their system message (train folds it for Mistral) and the template is the
    # preset's own (train marks Llama 3.1's and Mistral's replies for TRL)
    out = tmp_path / "run"
    first = train(preset, out, base=str(folder), train_rows=task_rows("train", 8),
                  eval_rows=task_rows("validation", 4), sizes=SIZES, max_steps=1, eval_before=False)
    assert first.status == "finished" and first.global_step == 1 and first.preset == preset
    step1 = shutil.copytree(first.adapter_dir, tmp_path / "adapter-step1")
    second = train(preset, out, base=str(folder), train_rows=task_rows("train", 8),
                   eval_rows=task_rows("validation", 4), sizes=SIZES, max_steps=2, resume=True,
                   eval_before=False)
    assert second.global_step == 2 and second.resumed_from and second.resumed_from.endswith("checkpoint-1")
    adapter = second.adapter_dir
    targets = {t.rsplit(".", 1)[-1] for t in json.loads(
        (tmp_path / "adapter-step1" / "adapter_config.json").read_text())["target_modules"]}
    assert targets == LINEAR
    assert adapter_difference(step1, adapter) > 0
    for saved in (step1, adapter, second.last_checkpoint):  # the original template, not the marked one
        assert _saved_template(saved) == chat_template(preset)

    # vLLM would load it; two adapters and the base answer in one batch; the merge is exact
    report = check_adapter(adapter, base=str(folder))
    assert report.ok, str(report)
    engine = MultiAdapterModel.load(str(folder), {"step1": step1, "step2": adapter})
    assert engine.preset_name == ("mistral-7b" if preset == "mistral-7b" else None)  # from config.json
    answers = engine.generate(["Hello", "Hello", "Hello"], ["step1", "step2", engine.base_name],
                              max_new_tokens=4)
    assert [a.adapter for a in answers] == ["step1", "step2", engine.base_name]
    merged = merge_roundtrip(str(folder), adapter, ["Hello"], quantization="none")
    assert merged.max_logit_diff < 1e-3 * max(merged.logit_scale, 1.0) and merged.same_greedy
    _record(preset, time.perf_counter() - t0)
