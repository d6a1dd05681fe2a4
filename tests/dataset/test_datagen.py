"""Lesson 04: the task generators are deterministic, varied, well-formed, and their defects are
recorded truthfully; the committed files are exactly what the generator writes."""

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from course_utils.dataset import curation
from course_utils.dataset import datagen
from course_utils.dataset.load import TASKS_DIR, load_facts, load_split
from course_utils.paths import REPO_ROOT
from jaccard_reference import exact_jaccard_matrix

SMALL = {"triage": 120, "moderation": 100, "policy_qa": 80}


def test_same_seed_same_rows_other_seed_other_rows():
    a = datagen.generate_task_rows(3, SMALL)
    assert a == datagen.generate_task_rows(3, SMALL)
    b = datagen.generate_task_rows(4, SMALL)
    assert {datagen.user_text(r) for r in a} != {datagen.user_text(r) for r in b}
    assert Counter(r["task"] for r in a) == Counter(SMALL)


def test_output_does_not_depend_on_python_hash_seed():
    # Set iteration order changes with PYTHONHASHSEED; the bytes must not.
    code = ("import hashlib, sys; from course_utils.dataset import datagen; "
            "raw, truth = datagen.make_raw(5, {'triage': 60, 'moderation': 50, 'policy_qa': 40}); "
            "sys.stdout.write(hashlib.sha256(datagen.jsonl_bytes(raw) + datagen.json_bytes(truth)).hexdigest())")
    digests = set()
    for hs in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": hs}
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True)
        digests.add(out.stdout)
    assert len(digests) == 1


def test_clean_rows_are_pairwise_distinct_by_the_reference_jaccard():
    rows = datagen.generate_task_rows(0, SMALL)
    for task in SMALL:
        texts = [datagen.user_text(r) for r in rows if r["task"] == task]
        j = exact_jaccard_matrix(texts)
        np.fill_diagonal(j, 0)
        assert j.max() < datagen.DISTINCT_BELOW, task


def test_every_clean_answer_fits_its_task_format_and_the_schema_reference():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO_ROOT / "data/schemas/triage.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    rows = datagen.generate_task_rows(1, SMALL) + datagen.generate_task_rows(
        2, SMALL, shifted=True) + datagen.generate_task_rows(3, SMALL, facts_version=2)
    for r in rows:
        assert curation.row_problems(r) == [], r
        answer = r["messages"][-1]["content"]
        if r["task"] == "triage":
            obj = json.loads(answer)
            assert list(validator.iter_errors(obj)) == []
            assert list(obj) == list(datagen.TRIAGE_FIELDS)
            if obj["order_id"]:
                assert obj["order_id"] in datagen.user_text(r)  # the id is copied, not invented
            if obj["product"]:
                assert obj["product"] in datagen.user_text(r)


def test_labels_cover_the_closed_sets():
    rows = datagen.generate_task_rows(0, SMALL)
    triage = [json.loads(r["messages"][-1]["content"]) for r in rows if r["task"] == "triage"]
    for field, allowed in [("category", datagen.TRIAGE_CATEGORIES),
                           ("urgency", datagen.TRIAGE_URGENCIES),
                           ("sentiment", datagen.TRIAGE_SENTIMENTS)]:
        assert {t[field] for t in triage} == set(allowed), field
    assert any(t["order_id"] is None for t in triage) and any(t["order_id"] for t in triage)
    assert any(t["product"] is None for t in triage)
    labels = {r["meta"]["label"] for r in rows if r["task"] == "moderation"}
    assert labels == set(datagen.MODERATION_LABELS)


def test_policy_answers_state_the_fact_of_their_version():
    v1 = datagen.generate_task_rows(0, {"policy_qa": 200})
    v2 = datagen.generate_task_rows(0, {"policy_qa": 200}, facts_version=2)
    for r in v1 + v2:
        assert r["meta"]["value"] in r["messages"][-1]["content"]
    # Same seed, same questions: only the facts moved.
    assert [datagen.user_text(r) for r in v1] == [datagen.user_text(r) for r in v2]
    changed = sum(a["messages"][-1]["content"] != b["messages"][-1]["content"] for a, b in zip(v1, v2))
    assert changed > 100
    f1 = {f["id"]: f["value"] for f in datagen.facts(1)}
    f2 = {f["id"]: f["value"] for f in datagen.facts(2)}
    assert f1.keys() == f2.keys() and f1["policy/return_days"] != f2["policy/return_days"]


def test_shifted_variant_brings_new_products_and_wording():
    base = datagen.generate_task_rows(0, SMALL)
    shifted = datagen.generate_task_rows(0, SMALL, shifted=True)
    new = [p[0] for p in datagen.SHIFTED_PRODUCTS]
    triage = [r for r in shifted if r["task"] == "triage"]
    named = [json.loads(r["messages"][-1]["content"])["product"] for r in triage]
    named = [p for p in named if p]
    assert sum(p in new for p in named) / len(named) > 0.5
    assert not any(p in datagen.user_text(r) for r in base for p in new)
    greet = tuple(datagen.SHIFTED_GREETINGS)
    assert sum(datagen.user_text(r).startswith(greet) for r in triage) > 0.8 * len(triage)


def test_raw_truth_matches_the_rates_and_copies_follow_their_source():
    counts = {"triage": 200, "moderation": 150, "policy_qa": 150}
    raw, truth = datagen.make_raw(7, counts)
    n = sum(counts.values())
    ids = [r["id"] for r in raw]
    assert len(set(ids)) == len(ids) == truth["n_raw"]
    for reason, rate in datagen.DEFAULT_RATES.items():
        got = truth["transform"]["pii_redacted"] if reason == "pii" else truth["drop"][reason]
        per_pick = 2 if reason == "conflicting_label" else 1
        assert len(got) == per_pick * round(rate * n), reason
    flat = [i for v in truth["drop"].values() for i in v] + truth["transform"]["pii_redacted"]
    assert len(flat) == len(set(flat)), "a row carries two defects"
    pos = {i: k for k, i in enumerate(ids)}
    for copy, src in truth["source"].items():
        assert pos[copy] > pos[src]
    byid = {r["id"]: r for r in raw}
    for copy in truth["drop"]["exact_duplicate"]:
        a, b = byid[copy], byid[truth["source"][copy]]
        assert a["messages"] == b["messages"]
    for copy in truth["drop"]["near_duplicate"]:
        a, b = byid[copy], byid[truth["source"][copy]]
        assert a["messages"] != b["messages"]
        j = curation.jaccard(curation.shingles(datagen.user_text(a)), curation.shingles(datagen.user_text(b)))
        assert j >= datagen.NEAR_COPY_AT_LEAST
    for rid in truth["transform"]["pii_redacted"]:
        assert sum(curation.redact_text(datagen.user_text(byid[rid]))[1].values()) >= 1
    # The raw ids do not give the defects away.
    assert all(r["id"].startswith("r") and "meta" in r for r in raw)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="counts: unknown task 'chat'"):
        datagen.generate_task_rows(0, {"chat": 3})
    with pytest.raises(ValueError, match=r"rates\['empty'\]=0.9"):
        datagen.make_raw(0, SMALL, rates={"empty": 0.9})
    with pytest.raises(ValueError, match="facts_version=3"):
        datagen.generate_task_rows(0, SMALL, facts_version=3)


def test_general_rows_are_distinct_and_some_have_two_turns():
    rows = datagen.generate_general(0, 800)
    keys = [json.dumps(r["messages"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert any(len(r["messages"]) == 4 for r in rows)
    assert all(curation.row_problems(r) == [] for r in rows)


def test_committed_generated_files_are_rebuilt_bit_for_bit():
    manifest = json.loads((TASKS_DIR / "MANIFEST.json").read_text())
    files = datagen.generated_files(manifest["seed"])
    for name, data in files.items():
        committed = (TASKS_DIR / name).read_bytes()
        assert committed == data, f"{name} differs from the generator's output: rebuild with " \
                                  "python -m course_utils.dataset.datagen --out data/tasks"
        assert manifest["files"][name]["sha256"] == hashlib.sha256(data).hexdigest()
    total = sum(p.stat().st_size for p in TASKS_DIR.iterdir())
    assert total < 4_000_000, f"data/tasks holds {total:,} bytes; keep it to a few MB"


def test_committed_eval_sets_load_and_facts_tables_match_the_generator():
    assert load_facts(1) == datagen.facts(1, shifted=True)
    assert load_facts(2) == datagen.facts(2, shifted=True)
    assert len(load_split("test_shifted")) == sum(datagen.SHIFTED_COUNTS.values())
    assert all(r["meta"]["facts_version"] == 2 for r in load_split("test_facts_v2"))
