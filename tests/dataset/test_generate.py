"""Lesson 04: the task generator is deterministic, varied and well-formed: clean rows are
pairwise distinct by an independent Jaccard, answers fit their formats, labels cover their sets."""

import json
from collections import Counter

import numpy as np
import pytest

from course_utils.dataset import generate
from course_utils.dataset.rows import row_problems, user_text
from course_utils.dataset.vocab import SHIFTED_GREETINGS, SHIFTED_PRODUCTS
from course_utils.paths import REPO_ROOT
from course_utils.tasks import (MODERATION_LABELS, TRIAGE_CATEGORIES, TRIAGE_FIELDS,
                                TRIAGE_SENTIMENTS, TRIAGE_URGENCIES)
from jaccard_reference import exact_jaccard_matrix

SMALL = {"triage": 120, "moderation": 100, "policy_qa": 80}


def test_same_seed_same_rows_other_seed_other_rows():
    a = generate.generate_task_rows(3, SMALL)
    assert a == generate.generate_task_rows(3, SMALL)
    b = generate.generate_task_rows(4, SMALL)
    assert {user_text(r) for r in a} != {user_text(r) for r in b}
    assert Counter(r["task"] for r in a) == Counter(SMALL)


def test_clean_rows_are_pairwise_distinct_by_the_reference_jaccard():
    rows = generate.generate_task_rows(0, SMALL)
    for task in SMALL:
        texts = [user_text(r) for r in rows if r["task"] == task]
        j = exact_jaccard_matrix(texts)
        np.fill_diagonal(j, 0)
        assert j.max() < generate.DISTINCT_BELOW, task


def test_every_clean_answer_fits_its_task_format_and_the_schema_reference():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO_ROOT / "data/schemas/triage.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    rows = generate.generate_task_rows(1, SMALL) + generate.generate_task_rows(
        2, SMALL, shifted=True) + generate.generate_task_rows(3, SMALL, facts_version=2)
    for r in rows:
        assert row_problems(r) == [], r
        answer = r["messages"][-1]["content"]
        if r["task"] == "triage":
            obj = json.loads(answer)
            assert list(validator.iter_errors(obj)) == []
            assert list(obj) == list(TRIAGE_FIELDS)
            if obj["order_id"]:
                assert obj["order_id"] in user_text(r)  # the id is copied, not invented
            if obj["product"]:
                assert obj["product"] in user_text(r)


def test_labels_cover_the_closed_sets():
    rows = generate.generate_task_rows(0, SMALL)
    triage = [json.loads(r["messages"][-1]["content"]) for r in rows if r["task"] == "triage"]
    for field, allowed in [("category", TRIAGE_CATEGORIES), ("urgency", TRIAGE_URGENCIES),
                           ("sentiment", TRIAGE_SENTIMENTS)]:
        assert {t[field] for t in triage} == set(allowed), field
    assert any(t["order_id"] is None for t in triage) and any(t["order_id"] for t in triage)
    assert any(t["product"] is None for t in triage)
    labels = {r["meta"]["label"] for r in rows if r["task"] == "moderation"}
    assert labels == set(MODERATION_LABELS)


def test_policy_answers_state_the_fact_of_their_version():
    v1 = generate.generate_task_rows(0, {"policy_qa": 200})
    v2 = generate.generate_task_rows(0, {"policy_qa": 200}, facts_version=2)
    for r in v1 + v2:
        assert r["meta"]["value"] in r["messages"][-1]["content"]
    # Same seed, same questions: only the facts moved.
    assert [user_text(r) for r in v1] == [user_text(r) for r in v2]
    changed = sum(a["messages"][-1]["content"] != b["messages"][-1]["content"] for a, b in zip(v1, v2))
    assert changed > 100
    f1 = {f["id"]: f["value"] for f in generate.facts(1)}
    f2 = {f["id"]: f["value"] for f in generate.facts(2)}
    assert f1.keys() == f2.keys() and f1["policy/return_days"] != f2["policy/return_days"]


def test_shifted_variant_brings_new_products_and_wording():
    base = generate.generate_task_rows(0, SMALL)
    shifted = generate.generate_task_rows(0, SMALL, shifted=True)
    new = [p[0] for p in SHIFTED_PRODUCTS]
    triage = [r for r in shifted if r["task"] == "triage"]
    named = [json.loads(r["messages"][-1]["content"])["product"] for r in triage]
    named = [p for p in named if p]
    assert sum(p in new for p in named) / len(named) > 0.5
    assert not any(p in user_text(r) for r in base for p in new)
    greet = tuple(SHIFTED_GREETINGS)
    assert sum(user_text(r).startswith(greet) for r in triage) > 0.8 * len(triage)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="counts: unknown task 'chat'"):
        generate.generate_task_rows(0, {"chat": 3})
    with pytest.raises(ValueError, match=r"counts\['triage'\]=-1"):
        generate.generate_task_rows(0, {"triage": -1})
    with pytest.raises(ValueError, match="facts_version=3"):
        generate.generate_task_rows(0, SMALL, facts_version=3)
    with pytest.raises(ValueError, match="facts_version=0"):
        generate.catalog(facts_version=0)
