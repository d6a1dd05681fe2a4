"""Lesson 05: a real tiny QLoRA run on the curated triage data (one run shared by the tests)."""

import dataclasses
import json
from types import SimpleNamespace

import pytest
import torch

from course_utils.model.load import load_model
from course_utils.model.profiles import run_sizes
from course_utils.paths import TINY_MODEL_DIR
from course_utils.plan.memory import lora_param_count, resolve_config
from course_utils.training import run as T
from course_utils.training.checkpoints import find_checkpoints
from course_utils.training.config import task_rows
from course_utils.training.safe_delete import DeletionRefused
from course_utils.training.summary import RunSummary, adapter_difference

# 10 steps of 8 rows (~150 tokens each), a checkpoint and an evaluation every 5 steps.
STEPS, SAVE = 10, 5


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # one tiny run of 10 steps: ~20 s
    profile = T.profile_for("tiny")
    sizes = dataclasses.replace(run_sizes(profile), train_examples=8 * STEPS, eval_examples=16,
                                max_steps=STEPS, save_steps=SAVE)
    model, tok = load_model("tiny", "nf4", profile)
    q_packed = model.model.layers[0].self_attn.q_proj.weight.data.clone()
    out = tmp_path_factory.mktemp("qlora")
    summary = T.train(profile, out, model=model, tokenizer=tok, sizes=sizes)
    return SimpleNamespace(summary=summary, model=model, tok=tok, q_packed=q_packed, out=out,
                           profile=profile, sizes=sizes)


@pytest.mark.slow
def test_validation_loss_falls_on_held_out_rows(run):
    s = run.summary
    assert s.eval_loss_before is not None and s.eval_loss_after is not None
    assert s.eval_loss_after < 0.8 * s.eval_loss_before, (s.eval_loss_before, s.eval_loss_after)
    train_rows = task_rows("train", run.sizes.train_examples)
    eval_rows = task_rows("validation", run.sizes.eval_examples)
    assert s.eval_examples == len(eval_rows) > 0
    assert not {r["id"] for r in train_rows} & {r["id"] for r in eval_rows}
    assert not {r["messages"][-2]["content"] for r in train_rows} & {r["messages"][-2]["content"] for r in eval_rows}


@pytest.mark.slow
def test_the_summary_records_the_run(run):
    s = run.summary
    assert s.status == "finished" and s.global_step == s.steps_this_run == STEPS
    assert (s.device, s.quantization, s.adapter_dtype, s.world_size) == ("cpu", "nf4", "float32", 1)
    assert 0 < s.tokens_this_run <= STEPS * 8 * run.sizes.max_seq_len
    assert s.s_per_step > 0 and s.tokens_per_s > 0 and s.wall_s > 0
    assert s.peak_memory_kind.startswith("peak RSS") and s.peak_memory_bytes > 1e8
    assert s.estimate_bytes is not None and s.estimate_bytes > 0
    assert RunSummary.from_json(run.out / "run_summary.json") == s
    assert "eval loss" in s.table() and f"{s.trainable_params:,}" in s.table()


@pytest.mark.slow
def test_trainable_parameters_match_the_lora_arithmetic(run):
    """PEFT's count equals r·(d_in + d_out) per adapted matrix (Hu et al. 2021), from config.json."""
    s = run.summary
    cfg = resolve_config(TINY_MODEL_DIR)
    assert s.trainable_params == lora_param_count(cfg, 16, "all-linear")
    assert s.total_params == cfg.param_count() + s.trainable_params  # 4-bit weights counted unpacked
    assert 0 < s.trainable_pct < 10


@pytest.mark.slow
def test_the_4bit_base_stays_frozen_and_the_adapters_moved(run):
    layer = run.model.model.layers[0].self_attn.q_proj
    assert torch.equal(layer.base_layer.weight.data, run.q_packed)
    assert layer.lora_B["default"].weight.abs().max() > 0  # B starts at zero: it trained


@pytest.mark.slow
def test_the_saved_adapter_loads_and_reproduces_the_trained_model(run):
    from peft import PeftModel

    s = run.summary
    weights = run.out / "adapter" / "adapter_model.safetensors"
    assert 4 * s.trainable_params <= weights.stat().st_size <= 4 * s.trainable_params + 65536  # fp32
    base, tok = load_model("tiny", "nf4", run.profile)
    loaded = PeftModel.from_pretrained(base, s.adapter_dir).eval()
    row = task_rows("validation", 1)[0]
    enc = tok.apply_chat_template(row["messages"], return_tensors="pt", return_dict=True)
    run.model.eval()
    with torch.no_grad():
        a = run.model(**enc).logits
        b = loaded(**enc).logits
    assert torch.allclose(a, b, atol=1e-5), (a - b).abs().max()


@pytest.mark.slow
def test_logs_tensorboard_and_checkpoints(run):
    hist = json.loads((run.out / "log_history.json").read_text())
    assert [h["step"] for h in hist if "eval_loss" in h] == [0, SAVE, 2 * SAVE]
    assert sum("loss" in h for h in hist) >= STEPS // 5
    assert list((run.out / "runs").rglob("events.out.tfevents*")), "no TensorBoard event file"
    assert [c.step for c in find_checkpoints(run.out) if c.complete] == [SAVE, STEPS]


@pytest.mark.slow
def test_a_new_run_never_overwrites_an_earlier_one_silently(run):
    with pytest.raises(FileExistsError, match="resume=True"):
        T.train(run.profile, run.out, sizes=run.sizes)
    with pytest.raises(ValueError, match="'r': \\(16, 8\\)"):
        T.train(run.profile, run.out, sizes=run.sizes, r=8, resume="auto")
    with pytest.raises(FileNotFoundError, match="no complete checkpoint"):
        T.train(run.profile, run.out / "empty", sizes=run.sizes, resume=True)


@pytest.mark.slow
def test_resume_auto_of_a_finished_run_trains_nothing_and_keeps_the_adapter(run, tmp_path):
    import shutil

    before = tmp_path / "adapter"
    shutil.copytree(run.out / "adapter", before)
    s = T.train(run.profile, run.out, sizes=run.sizes, resume="auto")
    assert (s.status, s.global_step, s.steps_this_run) == ("finished", STEPS, 0)
    assert adapter_difference(before, s.adapter_dir) == 0.0


@pytest.mark.parametrize("kwargs, words", [
    ({"max_steps": 0}, ["max_steps=0", "-1 for one pass"]),
    ({"max_steps": -5}, ["max_steps=-5", "positive number of optimizer steps"]),
    ({"save_steps": 0}, ["save_steps=0", "between checkpoints"]),
    ({"learning_rate": 5.0}, ["learning_rate=5.0", "at most 0.1"]),
    ({"resume": "yes"}, ["resume='yes'", "'auto'"]),
    ({"quantization": "int3"}, ["quantization='int3'", "'nf4'"]),
])
def test_bad_arguments_are_refused_before_anything_loads(kwargs, words, tmp_path):
    with pytest.raises(ValueError) as err:
        T.train("tiny", tmp_path / "run", **kwargs)
    assert all(w in str(err.value) for w in words), str(err.value)
    assert not (tmp_path / "run").exists()


def test_overwrite_refuses_a_folder_no_run_made(tmp_path):
    (tmp_path / "notes.txt").write_text("my notes")
    with pytest.raises(DeletionRefused, match="run_config.json"):
        T.train("tiny", tmp_path, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_dataset_folds_the_system_message_for_a_template_without_one():
    """Mistral v0.3's template drops the system message of a (system, user, assistant) row."""
    rows = task_rows("train", 2)
    system = rows[0]["messages"][0]["content"]
    mistral = T._dataset(rows, "mistral-7b")[0]["messages"]
    assert [m["role"] for m in mistral] == ["user", "assistant"]
    assert mistral[0]["content"].startswith(system + "\n\n")
    assert T._dataset(rows, "tiny")[0]["messages"] == rows[0]["messages"]
