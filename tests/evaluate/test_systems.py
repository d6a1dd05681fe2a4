"""Lesson 06 end to end on the tiny model: a short adapter run, every baseline system on the same
held-out rows, replies scored and tabulated with intervals (course_utils.evaluate.systems)."""

import numpy as np
import pytest

from course_utils.dataset.load import load_split
from course_utils.evaluate.experiments import heldout, load_adapter, training_mix
from course_utils.evaluate.metrics import score_rows
from course_utils.evaluate.retrieval import zero_shot
from course_utils.evaluate.systems import (BASELINES, Context, evaluate_systems, format_table, generate,
                                           results_table)
from course_utils.model.load import load_model
from course_utils.model.profiles import choose_profile

pytestmark = pytest.mark.slow   # a six-step training run, then five systems generate on the tiny model


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from course_utils.training.run import train   # loads trl: only when this file runs

    profile = choose_profile(env={"COURSE_PROFILE": "tiny"})
    out = tmp_path_factory.mktemp("eval_run")
    summary = train(profile, out, train_rows=training_mix(48), eval_rows=heldout("validation", 2),
                    max_steps=6, save_steps=6, overwrite=True, eval_before=False)
    model, tok = load_adapter(summary.adapter_dir, profile)
    rows = heldout("test", 4)  # 4 triage, 4 moderation, 4 policy_qa
    ev = evaluate_systems(model, tok, rows, BASELINES, Context(load_split("train")), progress=False)
    return model, tok, rows, ev


def test_every_system_answers_every_row_and_scores_come_from_its_replies(trained):
    _, _, rows, ev = trained
    assert set(ev.outputs) == set(BASELINES)
    for system in BASELINES:
        for task, rs in ev.rows.items():
            replies = ev.outputs[system][task]
            assert len(replies) == len(rs) == 4 and all(isinstance(r, str) for r in replies)
            again = score_rows(task, replies, rs)
            for metric, values in again.items():
                np.testing.assert_array_equal(ev.scores[system][task][metric], values)


def test_base_systems_switch_the_adapter_off(trained):
    model, tok, _, ev = trained
    prompts = ev.prompts["base zero-shot"]["moderation"]
    with model.disable_adapter():
        base = generate(model, tok, prompts, max_new_tokens=40, progress=False)
    assert base == ev.outputs["base zero-shot"]["moderation"]
    with_adapter = generate(model, tok, prompts, max_new_tokens=40, progress=False)
    assert with_adapter == ev.outputs["adapter"]["moderation"]
    assert with_adapter != base, "six training steps should change the replies"


def test_generation_keeps_the_prompts_order_and_respects_the_token_budget(trained):
    model, tok, rows, _ = trained
    prompts = [zero_shot(r) for r in rows[:6]]
    short = generate(model, tok, prompts, max_new_tokens=3, batch_size=4, progress=False)
    assert len(short) == 6
    assert all(len(tok(s, add_special_tokens=False)["input_ids"]) <= 4 for s in short)
    one = generate(model, tok, [prompts[5]], max_new_tokens=3, progress=False)
    assert len(one) == 1
    with pytest.raises(TypeError, match="list of conversations"):
        generate(model, tok, prompts[0], progress=False)


def test_results_table_has_every_system_and_metric_with_ordered_intervals(trained):
    _, _, _, ev = trained
    table = results_table(ev, n_boot=300)
    keys = {(r["system"], r["task"], r["metric"]) for r in table}
    for s in BASELINES:
        for metric in ("json_valid", "schema_valid", "exact_match", "field_category"):
            assert (s, "triage", metric) in keys
        for metric in ("accuracy", "macro_f1", "format_valid"):
            assert (s, "moderation", metric) in keys
        assert (s, "policy_qa", "value_correct") in keys
    assert all(r["low"] <= r["estimate"] + 1e-9 and r["estimate"] <= r["high"] + 1e-9 for r in table)
    text = format_table(table)
    assert "triage / exact_match" in text and "adapter + retrieval k-shot" in text


def test_adapter_systems_need_an_adapter(trained):
    base, tok = load_model("tiny")
    with pytest.raises(ValueError, match="PeftModel"):
        evaluate_systems(base, tok, load_split("test")[:1], ["adapter"], progress=False)
    with pytest.raises(ValueError, match="unknown"):
        evaluate_systems(base, tok, load_split("test")[:1], ["gpt-5"], progress=False)
