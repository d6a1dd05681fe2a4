"""Lesson 05: a real tiny full fine-tune (every weight trains), saved atomically, reused when its
settings match, never confused with a half-written model (course_utils.training.full)."""

import json
import shutil
from types import SimpleNamespace

import pytest

from course_utils.evaluate.experiments import heldout, training_mix
from course_utils.training import full as F
from course_utils.training.safe_delete import DeletionRefused, refusal

STEPS = 3


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # one tiny full fine-tune of 3 steps: ~20 s on 2 cores
    out = tmp_path_factory.mktemp("full") / "run"
    kwargs = dict(train_rows=training_mix(8 * STEPS), eval_rows=heldout("validation", 2),
                  max_steps=STEPS)
    return SimpleNamespace(result=F.train_full("tiny", out, **kwargs), out=out, kwargs=kwargs)


@pytest.mark.slow
def test_every_weight_trains_and_the_model_is_saved_as_safetensors(run):
    import torch

    from course_utils.model.load import load_model

    r = run.result
    assert not r.reused and r.model_dir == run.out / "model"
    assert (r.model_dir / "model.safetensors").is_file() and (r.model_dir / "tokenizer.json").is_file()
    assert not list(r.model_dir.glob("*.bin")) and not (run.out / "model.partial").exists()
    assert r.s_per_step > 0 and r.tokens_per_s > 0 and r.train_loss > 0
    evals = [h["eval_loss"] for h in r.log_history if "eval_loss" in h]
    assert len(evals) == 2 and evals[-1] < evals[0]            # before and after
    base, _ = load_model("tiny", "none")
    tuned, _ = load_model(str(r.model_dir), "none")
    b, t = dict(base.named_parameters()), dict(tuned.named_parameters())
    assert b.keys() == t.keys()
    changed = [n for n in b if not torch.equal(b[n], t[n])]
    assert len(changed) == len(b), "a full fine-tune changes every weight"


@pytest.mark.slow
def test_the_trainers_eval_loss_is_the_token_weighted_reply_loss(run):
    # TRL's eval loss at step 0 (the base, one batch of every eval row) averages over the reply
    # tokens it trains on; row_losses averages per row over the same tokens (lesson 04's mask).
    import numpy as np

    from course_utils.evaluate.row_loss import reply_labels, row_losses
    from course_utils.model.load import load_model

    base, tok = load_model("tiny", "none")
    rows = run.kwargs["eval_rows"]
    per_row = row_losses(base, tok, rows, progress=False)
    counts = np.array([sum(lab != -100 for lab in reply_labels(r, tok)[1]) for r in rows])
    step0 = next(h["eval_loss"] for h in run.result.log_history if h.get("step") == 0 and "eval_loss" in h)
    assert (per_row * counts).sum() / counts.sum() == pytest.approx(step0, rel=1e-4)


@pytest.mark.slow
def test_the_same_settings_are_reused_without_training(run, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("train_full trained again although the saved model matches")

    monkeypatch.setattr(F, "_fit", no_training)
    again = F.train_full("tiny", run.out, **run.kwargs)
    assert again.reused and again.model_dir == run.result.model_dir
    assert again.log_history == json.loads(json.dumps(run.result.log_history))
    with pytest.raises(FileExistsError, match="overwrite=True"):   # other settings: not replaced silently
        F.train_full("tiny", run.out, **dict(run.kwargs, max_steps=STEPS + 1))


@pytest.mark.slow
def test_an_interrupted_write_is_not_taken_for_a_finished_model(run, tmp_path, monkeypatch):
    out = tmp_path / "cut"
    shutil.copytree(run.out, out)
    (out / "model").rename(out / "model.partial")    # every file there, but the rename never happened

    class Trains(Exception):
        pass

    def trains(*args, **kwargs):
        raise Trains

    monkeypatch.setattr(F, "_fit", trains)
    with pytest.raises(Trains):
        F.train_full("tiny", out, **run.kwargs)
    assert not (out / "model.partial").exists()       # the half-written copy was cleared first
    shutil.copytree(run.out / "model", out / "model")
    (out / "model" / F.FINGERPRINT).unlink()          # the write stopped before its last file
    with pytest.raises(FileExistsError):
        F.train_full("tiny", out, **run.kwargs)
    with pytest.raises(Trains):
        F.train_full("tiny", out, **run.kwargs, overwrite=True)
    assert not (out / "model").exists() and (out / "full_config.json").is_file()


def test_a_folder_it_did_not_write_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    rows = [{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}]
    for overwrite in (False, True):
        with pytest.raises(DeletionRefused, match="full_config.json"):
            F.train_full("tiny", tmp_path, train_rows=rows, eval_rows=rows, max_steps=1,
                         overwrite=overwrite)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert refusal(tmp_path, F.FULL) is not None


def test_bad_arguments_are_refused_by_name(tmp_path):
    rows = [{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}]
    for bad, match in ((dict(max_steps=0), "max_steps"), (dict(max_steps=None), "max_steps"),
                       (dict(learning_rate=-1.0), "learning_rate"), (dict(train_rows=[]), "train_rows"),
                       (dict(eval_rows=rows[0]), "eval_rows")):
        kwargs = dict(dict(train_rows=rows, eval_rows=rows, max_steps=1), **bad)
        with pytest.raises(ValueError, match=match):
            F.train_full("tiny", tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()


def test_real_models_fine_tune_fully_at_a_lower_rate_than_lora():
    from course_utils.training.config import learning_rate_for, profile_for

    smol, big = profile_for("smol"), profile_for("qwen2.5-7b")
    assert F.full_learning_rate_for(smol) < learning_rate_for(smol)
    assert F.full_learning_rate_for(big) <= learning_rate_for(big) / 10
