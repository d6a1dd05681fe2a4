"""Lesson 04: the learner-style file is rebuilt byte for byte by code that shares nothing with the
course's generator, carries the mess it promises, and the curation finds what it carries."""

import ast
import json

import pytest

from course_utils.dataset import learner_file, learner_vocab
from course_utils.dataset.curation import curate, score_against_truth
from course_utils.dataset.load import load_general
from course_utils.dataset.off_task import general_requests
from course_utils.dataset.own_data import load_dataset_rows
from course_utils.dataset.rows import user_text
from course_utils.dataset.textsim import jaccard, shingles
from course_utils.paths import PACKAGE_DIR

MAPPING = dict(user="customer_message", answer="agent_reply", task="bike_support",
               system_prompt="Answer as Pedalworks support.")


def test_committed_file_and_truth_are_rebuilt_byte_for_byte():
    data, truth = learner_file.learner_tickets(0)
    assert learner_file.LEARNER_FILE.read_bytes() == data, \
        "data/learner_tickets.csv differs: rebuild with python -m course_utils.dataset.learner_file"
    assert learner_file.load_learner_truth() == json.loads(json.dumps(truth))


def test_made_without_the_course_generator():
    allowed = {"course_utils.dataset", "course_utils.dataset.learner_vocab",
               "course_utils.files", "course_utils.errors", "course_utils.paths"}
    for name in ("learner_file.py", "learner_vocab.py"):
        tree = ast.parse((PACKAGE_DIR / "dataset" / name).read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert {m for m in imported if m and m.startswith("course_utils")} <= allowed, name


def test_the_file_is_messy_the_way_exports_are():
    data = learner_file.LEARNER_FILE.read_bytes()
    header = ",".join(learner_file.HEADER).encode() + b"\r\n"
    assert data.startswith(b"\xef\xbb\xbf" + header) and data.count(header) == 3
    truth = learner_file.load_learner_truth()
    # Records end with CRLF; line breaks typed inside a quoted cell are bare LF, as Excel writes.
    assert data.count(b"\r\n") == truth["n_records"] + 1 and data.count(b"\n") > data.count(b"\r\n")
    assert b'""urgent""' in data and "\u2019".encode() in data
    undecodable = [ln for ln in data.split(b"\r\n") if _not_utf8(ln)]
    assert len(undecodable) == learner_file.PLANTED["cp1252_line"]
    assert truth["n_records"] > 2400 and sum(map(len, truth["pii"].values())) == 120


def test_its_off_task_messages_are_not_in_the_general_reference():
    """Measured: the closest pair ("time difference between Lagos and Toronto" and a general
    request about London and Sydney) shares 0.43 of its shingles."""
    reference = [shingles(t) for t in general_requests() + [user_text(r) for r in load_general()]]
    for text in learner_vocab.OFF_TASK:
        assert max(jaccard(shingles(text), r) for r in reference) < 0.5, text


def _not_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


@pytest.mark.slow  # curates ~2,500 rows with the course tokenizer (about 5 s)
def test_curation_finds_what_the_file_carries():
    loaded = load_dataset_rows(learner_file.LEARNER_FILE, **MAPPING, bad_lines="drop")
    result = curate(loaded, reference=load_general())
    truth = learner_file.load_learner_truth()
    scores = {s["reason"]: s for s in score_against_truth(result.report, truth)}
    # Measured: every reason 1.000/1.000 except off_task, recall 0.911 (41 of 45; the four
    # missed share words with the inbox: "recommend", "order", "bank"), precision 1.000.
    for reason, s in scores.items():
        floor = 0.88 if reason == "off_task" else 1.0
        assert s["recall"] >= floor and s["precision"] == 1.0, s
    assert result.report.n_in == truth["n_records"]
    kept = {r["id"]: r["messages"][1]["content"] for r in result.kept}
    for kind, ids in truth["pii"].items():
        assert all(f"[{kind.upper()}]" in kept[i] for i in ids if i in kept), kind
