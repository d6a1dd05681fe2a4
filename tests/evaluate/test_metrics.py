"""Lesson 06 metrics on hand-made replies: valid, invalid and partially right
(course_utils.evaluate.metrics)."""

import json

import numpy as np
import pytest

from course_utils.evaluate.metrics import (confusion_matrix, macro_f1, moderation_scores, parse_json_object,
                                           parse_moderation_label, policy_scores, score_rows, triage_scores)
from course_utils.tasks import triage_schema

REF = {"category": "shipping", "product": "Halo Headphones", "urgency": "high",
       "order_id": "ORD-12345", "sentiment": "negative"}
REF_TEXT = json.dumps(REF, separators=(",", ":"))


def _triage(reply):
    return {k: float(v[0]) for k, v in triage_scores([reply], [REF_TEXT]).items()}


def test_triage_exact_reply_scores_one_everywhere():
    s = _triage(REF_TEXT)
    assert all(v == 1.0 for v in s.values()), s


def test_triage_key_order_and_spacing_do_not_matter_because_json_is_parsed():
    reordered = json.dumps(dict(reversed(list(REF.items()))), indent=2)
    assert _triage(reordered)["exact_match"] == 1.0


def test_triage_invalid_json_scores_zero_even_when_the_text_contains_the_answer():
    for reply in ["Sure! " + REF_TEXT, REF_TEXT[:-1], "", "category: shipping"]:
        s = _triage(reply)
        assert s["json_valid"] == 0 and s["schema_valid"] == 0 and s["exact_match"] == 0
        assert all(s[f"field_{f}"] == 0 for f in REF), (reply, s)


def test_triage_partially_right_counts_each_field():
    wrong = dict(REF, urgency="low", sentiment="positive")
    s = _triage(json.dumps(wrong))
    assert s["json_valid"] == 1 and s["schema_valid"] == 1 and s["exact_match"] == 0
    assert [s[f"field_{f}"] for f in REF] == [1, 1, 0, 1, 0]


def test_triage_valid_json_that_breaks_the_schema():
    bad_enum = dict(REF, urgency="urgent")
    s = _triage(json.dumps(bad_enum))
    assert s["json_valid"] == 1 and s["schema_valid"] == 0 and s["exact_match"] == 0
    assert s["field_category"] == 1 and s["field_urgency"] == 0
    extra = dict(REF, note="x")  # every field right, but an extra key the schema forbids
    s = _triage(json.dumps(extra))
    assert s["schema_valid"] == 0 and s["exact_match"] == 0 and s["field_product"] == 1
    missing = {k: v for k, v in REF.items() if k != "order_id"}
    assert _triage(json.dumps(missing))["field_order_id"] == 0
    assert _triage(json.dumps([REF]))["field_category"] == 0  # a list is JSON, not the object


def test_triage_null_fields_match_null_references():
    ref = dict(REF, order_id=None, product=None)
    s = triage_scores([json.dumps(ref), json.dumps(dict(ref, order_id="ORD-00000"))], [ref, ref])
    assert list(s["exact_match"]) == [1, 0] and list(s["field_order_id"]) == [1, 0]


def test_moderation_parse_and_scores():
    assert parse_moderation_label("label: spam\nreason: sells followers") == "spam"
    assert parse_moderation_label("This is spam.") is None
    assert parse_moderation_label("label: spam\nlabel: ok\nreason: hedging") is None
    assert parse_moderation_label("label: rude\nreason: x") is None
    outs = ["label: spam\nreason: sells followers",   # right, well formed
            "label: ok\nreason: a review",            # wrong label, well formed
            "label: scam",                            # right label, no reason line
            "spam"]                                   # unparseable
    s = moderation_scores(outs, ["spam", "harassment", "scam", "spam"])
    assert list(s["accuracy"]) == [1, 0, 1, 0]
    assert list(s["format_valid"]) == [1, 1, 0, 0]


def test_confusion_matrix_and_macro_f1_against_hand_computed_values():
    true = ["ok", "ok", "spam", "spam", "scam", "harassment"]
    pred = ["ok", "spam", "spam", None, "scam", "ok"]
    m = confusion_matrix(pred, true)
    assert m.sum() == len(true) and m[0, 0] == 1 and m[0, 1] == 1 and m[1, 4] == 1
    # per class F1: ok 2*1/(2+1+1)=0.5, spam 2/(2+1+1)=0.5, harassment 0, scam 1
    assert macro_f1(pred, true) == pytest.approx((0.5 + 0.5 + 0.0 + 1.0) / 4)
    assert macro_f1(true, true) == 1.0
    with pytest.raises(ValueError, match="labels"):
        confusion_matrix(["ok"], ["rude"])


def test_macro_f1_matches_a_reference_implementation_on_random_labels():
    rng = np.random.default_rng(1)
    classes = ["ok", "spam", "harassment", "scam"]
    true = list(rng.choice(classes, 80))
    pred = [c if rng.random() < 0.6 else rng.choice(classes) for c in true]
    ref = []
    for c in classes:  # scikit-learn's definition, written out
        tp = sum(p == c and t == c for p, t in zip(pred, true))
        fp = sum(p == c and t != c for p, t in zip(pred, true))
        fn = sum(p != c and t == c for p, t in zip(pred, true))
        prec = tp / (tp + fp) if tp + fp else 0
        rec = tp / (tp + fn) if tp + fn else 0
        ref.append(2 * prec * rec / (prec + rec) if prec + rec else 0)
    assert macro_f1(pred, true) == pytest.approx(np.mean(ref))


def test_policy_value_must_be_a_whole_token():
    outs = ["The Glide Mouse costs $32, so shipping is $7 (free over $75).",  # right
            "Shipping is $75.",                                             # $7 inside $75: wrong
            "You can return items within 130 days.",                        # 30 days inside 130
            "You can return items within 30 days of delivery.",             # right
            "I am not sure."]
    s = policy_scores(outs, ["$7", "$7", "30 days", "30 days", "$7"])
    assert list(s["value_correct"]) == [1, 0, 0, 1, 0]
    assert list(s["one_sentence"]) == [1, 1, 1, 1, 1]
    two = policy_scores(["It costs $7. Or $9.\n"], ["$7"])
    assert two["value_correct"][0] == 1 and two["one_sentence"][0] == 0


def test_score_rows_takes_references_from_rows_and_refuses_mixed_tasks():
    row = {"id": "x", "task": "moderation", "messages": [{"role": "user", "content": "hi"},
           {"role": "assistant", "content": "label: ok\nreason: fine"}], "meta": {"label": "ok"}}
    assert score_rows("moderation", ["label: ok\nreason: fine"], [row])["accuracy"][0] == 1
    with pytest.raises(ValueError, match="not triage rows"):
        score_rows("triage", ["{}"], [row])
    with pytest.raises(ValueError, match="task="):
        score_rows("summary", ["x"], [row])


def test_length_mismatch_and_single_string_are_clear_errors():
    with pytest.raises(ValueError, match="outputs has 2 replies but references has 1"):
        triage_scores(["{}", "{}"], [REF_TEXT])
    with pytest.raises(TypeError, match="wrap it in a list"):
        triage_scores(REF_TEXT, [REF_TEXT])


def test_triage_scores_one_field_metric_per_field_of_the_shipped_schema():
    fields = triage_schema()["required"]
    got = set(triage_scores([REF_TEXT], [REF_TEXT]))
    assert got == {"json_valid", "schema_valid", "exact_match"} | {f"field_{f}" for f in fields}


def test_json_is_parsed_only_when_the_whole_reply_is_json():
    assert parse_json_object(f"  {REF_TEXT}\n") == REF
    assert parse_json_object("Here you go: " + REF_TEXT) is None
    assert parse_json_object("") is None
