"""Lesson 05: per-row reply losses (checked against a cross-entropy computed here by hand), the
share of a reference's loss reduction, and the equivalence verdict
(course_utils.evaluate.row_loss)."""

import math

import numpy as np
import pytest

from course_utils.evaluate.experiments import heldout
from course_utils.evaluate.row_loss import (equivalence_verdict, loss_gain_share, reply_labels,
                                            row_losses)
from course_utils.evaluate.stats import paired_test


@pytest.fixture(scope="module")
def tiny():
    from course_utils.model.load import load_model

    return load_model("tiny", "none")


@pytest.fixture(scope="module")
def rows():
    return heldout("validation", 2)   # 2 rows of each task: different lengths


def _short_row():
    return {"id": "short", "messages": [
        {"role": "system", "content": "You answer yes or no."},
        {"role": "user", "content": "Is the sky blue?"},
        {"role": "assistant", "content": "yes"}]}


def _by_hand(model, tokenizer, messages):
    """Mean cross-entropy on the reply + end token, from the chat template and torch alone."""
    import torch

    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    f_ids = tokenizer(full, add_special_tokens=False)["input_ids"]
    n = len(tokenizer(messages[-1]["content"] + tokenizer.eos_token, add_special_tokens=False)["input_ids"])
    assert f_ids[:len(p_ids)] == p_ids          # the prompt is a prefix of the conversation
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([f_ids])).logits[0].double(), dim=-1)
    positions = range(len(p_ids), len(p_ids) + n)
    return -sum(logp[p - 1, f_ids[p]].item() for p in positions) / n


@pytest.mark.slow
def test_a_short_row_gives_a_finite_positive_loss(tiny):
    model, tok = tiny
    loss = row_losses(model, tok, [_short_row()], progress=False)
    assert loss.shape == (1,) and math.isfinite(loss[0]) and loss[0] > 0


@pytest.mark.slow
def test_the_loss_is_the_cross_entropy_of_the_reply_tokens(tiny, rows):
    model, tok = tiny
    expected = [_by_hand(model, tok, r["messages"]) for r in rows]
    one_by_one = row_losses(model, tok, rows, batch_size=1, progress=False)
    padded = row_losses(model, tok, rows, batch_size=4, progress=False)   # padding must not count
    np.testing.assert_allclose(one_by_one, expected, rtol=1e-4)
    np.testing.assert_allclose(padded, expected, rtol=1e-4)


@pytest.mark.slow
def test_prompt_tokens_are_not_counted(tiny):
    _, tok = tiny
    row = _short_row()
    longer = {"id": "longer", "messages": [dict(row["messages"][0], content=row["messages"][0]["content"]
                                                + " Think about the weather in spring and autumn."),
                                           *row["messages"][1:]]}
    ids_a, labels_a = reply_labels(row, tok)
    ids_b, labels_b = reply_labels(longer, tok)
    counted = [sum(lab != -100 for lab in labels) for labels in (labels_a, labels_b)]
    reply = tok("yes" + tok.eos_token, add_special_tokens=False)["input_ids"]
    assert len(ids_b) > len(ids_a)
    assert counted == [len(reply), len(reply)]
    assert [t for t in labels_b if t != -100] == reply


@pytest.mark.slow
def test_a_fresh_adapter_and_an_nf4_base_are_measured_too(tiny, rows):
    from course_utils.model.load import load_model
    from course_utils.training.config import lora_config
    from course_utils.training.run import attach_lora

    _, tok = tiny
    base = load_model("tiny", "none")[0]
    plain = row_losses(base, tok, rows, progress=False)
    peft_model = attach_lora(base, lora_config())    # B = 0: the adapter starts as the base
    peft_model.train()
    np.testing.assert_allclose(row_losses(peft_model, tok, rows, progress=False), plain, rtol=1e-5)
    assert peft_model.training                        # the mode it was in is put back
    nf4 = row_losses(load_model("tiny", "nf4")[0], tok, rows, progress=False)
    assert np.isfinite(nf4).all() and np.abs(nf4 - plain).max() < 0.5 * plain.mean()


def test_a_row_without_a_reply_is_refused():
    with pytest.raises(ValueError, match="ending with the assistant"):
        reply_labels({"id": "x", "messages": [{"role": "user", "content": "hi"}]}, tokenizer=None)


def test_loss_gain_share_follows_its_definition():
    rng = np.random.default_rng(0)
    base = 2.0 + rng.normal(0, 0.3, 60)
    reference = base - 1.0 + rng.normal(0, 0.1, 60)
    arm = base - 0.9 + rng.normal(0, 0.1, 60)
    res = loss_gain_share(base, arm, reference)
    expected = (base.mean() - arm.mean()) / (base.mean() - reference.mean())
    assert res["share"] == pytest.approx(expected)
    assert res["low"] <= res["share"] <= res["high"] and res["high"] - res["low"] < 0.2
    assert res["n"] == 60 and res["undefined_resamples"] == 0
    exact = loss_gain_share(base, base - 0.45, base - 0.5)   # every resample: 0.45 / 0.5
    assert [exact[k] for k in ("share", "low", "high")] == pytest.approx([0.9, 0.9, 0.9])


def test_loss_gain_share_is_unbounded_when_the_reference_gain_is_noise():
    rng = np.random.default_rng(1)
    base = 2.0 + rng.normal(0, 0.3, 30)
    noise = rng.normal(0, 1.0, 30)
    reference = base - (noise - noise.mean() + 0.01)       # mean gain 0.01, spread 1.0
    res = loss_gain_share(base, base - 0.005, reference)
    assert res["share"] == pytest.approx(0.5)
    assert (res["low"], res["high"]) == (-np.inf, np.inf) and res["undefined_resamples"] > 0


def test_loss_gain_share_refuses_what_it_cannot_measure():
    with pytest.raises(ValueError, match="not below the base"):
        loss_gain_share([1.0, 1.0], [0.5, 0.5], [1.2, 1.1])
    with pytest.raises(ValueError, match="same rows"):
        loss_gain_share([1.0, 1.0], [0.5], [0.2, 0.2])


def test_equivalence_verdict_has_three_answers():
    assert equivalence_verdict((-0.01, 0.015), 0.02).startswith("equivalent")
    assert equivalence_verdict((0.03, 0.08), 0.02).startswith("different")
    assert equivalence_verdict((-0.09, -0.05), 0.02).startswith("different")
    assert equivalence_verdict((-0.01, 0.05), 0.02).startswith("not settled")
    assert equivalence_verdict((0.0, -0.01, 0.01), 0.02).startswith("equivalent")  # bootstrap_ci form


def test_equivalence_verdict_reads_a_paired_test_and_checks_its_margin():
    rng = np.random.default_rng(2)
    a = rng.normal(1.0, 0.2, 200)
    b = a + rng.normal(0.0, 0.01, 200)                  # paired, nearly identical
    assert equivalence_verdict(paired_test(a, b, level=0.90), 0.02).startswith("equivalent")
    for bad in (0, -0.1, "0.02", True):
        with pytest.raises(ValueError, match="margin"):
            equivalence_verdict((-0.01, 0.01), bad)
    with pytest.raises(ValueError, match="low"):
        equivalence_verdict({"diff": 0.0}, 0.02)
