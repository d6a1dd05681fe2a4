"""Lesson 04: the planted defects are recorded truthfully: the rates hold, every copy follows
its original, near copies stay near by an independent Jaccard, and the bytes do not depend on
the interpreter's hash seed."""

import hashlib
import os
import subprocess
import sys

import pytest

from course_utils.dataset import defects
from course_utils.dataset.pii import redact_text
from course_utils.dataset.rows import user_text
from course_utils.paths import REPO_ROOT
from jaccard_reference import reference_jaccard

SMALL = {"triage": 120, "moderation": 100, "policy_qa": 80}


def test_raw_truth_matches_the_rates_and_copies_follow_their_source():
    counts = {"triage": 200, "moderation": 150, "policy_qa": 150}
    raw, truth = defects.make_raw(7, counts)
    n = sum(counts.values())
    ids = [r["id"] for r in raw]
    assert len(set(ids)) == len(ids) == truth["n_raw"]
    assert list(truth["drop"]) == list(defects.DROP_REASONS)
    for reason, rate in defects.DEFAULT_RATES.items():
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
        assert reference_jaccard(user_text(a), user_text(b)) >= defects.NEAR_COPY_AT_LEAST
    for copy in truth["drop"]["conflicting_label"]:
        if copy in truth["source"]:
            a, b = byid[copy], byid[truth["source"][copy]]
            assert user_text(a) == user_text(b)
            assert a["messages"][-1]["content"] != b["messages"][-1]["content"]
    for rid in truth["transform"]["pii_redacted"]:
        assert sum(redact_text(user_text(byid[rid]))[1].values()) >= 1
    # The raw ids do not give the defects away.
    assert all(r["id"].startswith("r") and "meta" in r for r in raw)


def test_bad_rates_name_the_argument():
    with pytest.raises(ValueError, match=r"rates\['empty'\]=0.9"):
        defects.make_raw(0, SMALL, rates={"empty": 0.9})
    with pytest.raises(ValueError, match="unknown defect 'typos'"):
        defects.make_raw(0, SMALL, rates={"typos": 0.1})
    with pytest.raises(ValueError, match="lower the rates"):
        defects.make_raw(0, SMALL, rates={k: 0.2 for k in defects.DEFAULT_RATES})


def test_output_does_not_depend_on_python_hash_seed():
    # Set iteration order changes with PYTHONHASHSEED; the bytes must not.
    code = ("import hashlib, sys; from course_utils.dataset import build, defects; "
            "raw, truth = defects.make_raw(5, {'triage': 60, 'moderation': 50, 'policy_qa': 40}); "
            "sys.stdout.write(hashlib.sha256(build.jsonl_bytes(raw) + build.json_bytes(truth)).hexdigest())")
    digests = set()
    for hs in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": hs}
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True, timeout=120)
        digests.add(out.stdout)
    assert len(digests) == 1 and len(digests.pop()) == len(hashlib.sha256().hexdigest())
