"""Lesson 04: `curate` on the committed raw data finds what the generator planted (precision and
recall >= 0.95 per reason), and its kept rows are the committed splits."""

import json

import pytest

from course_utils.dataset import curation
from course_utils.dataset.defects import DROP_REASONS
from course_utils.dataset.load import TASKS_DIR, load_general, load_raw, load_split, load_truth
from course_utils.dataset.size_check import SmallDatasetWarning
from course_utils.dataset.splits import SPLITS, split
from row_builders import words


@pytest.fixture(scope="module")
def committed():
    raw, truth, general = load_raw(), load_truth(), load_general()
    result = curation.curate(raw, reference=general)
    return raw, truth, general, result


def test_curate_matches_the_injected_ground_truth(committed):
    raw, truth, general, result = committed
    scores = curation.score_against_truth(result.report, truth)
    print("\n" + curation.format_scores(scores))
    assert [s["reason"] for s in scores] == list(DROP_REASONS) + ["pii_redacted"]
    for s in scores:
        assert s["injected"] > 0, s["reason"]
        assert s["precision"] >= 0.95 and s["recall"] >= 0.95, s


def test_committed_splits_are_the_curated_rows_split(committed):
    raw, truth, general, result = committed
    on_disk = {name: load_split(name) for name in SPLITS}
    again = split(result.kept, seed=0)
    for name in SPLITS:
        assert [r["id"] for r in on_disk[name]] == [r["id"] for r in again[name]], name
    kept_ids = [r["id"] for r in result.kept]
    assert sorted(i for s in on_disk.values() for i in (r["id"] for r in s)) == sorted(kept_ids)
    report = json.loads((TASKS_DIR / "curation_report.json").read_text())
    assert report["counts"] == result.report.counts()


def test_report_accounts_for_every_row(committed):
    raw, truth, general, result = committed
    report = result.report
    assert [s["step"] for s in report.steps] == ["empty", "malformed", "off_task", "too_long",
                                                 "pii_redacted", "exact_duplicate",
                                                 "conflicting_label", "near_duplicate"]
    dropped = sum(len(v) for v in report.dropped.values())
    assert report.n_in == len(raw) and report.n_kept == len(result.kept) == len(raw) - dropped
    assert "kept" in report.table() and report.ids("pii_redacted")
    with pytest.raises(KeyError, match="unknown reason 'typos'"):
        report.ids("typos")


def test_curate_reports_small_sets_and_rejects_bad_input(committed):
    raw, truth, general, result = committed
    assert result.report.warnings == []
    with pytest.warns(SmallDatasetWarning):
        small = curation.curate(raw[:300], reference=general, count_tokens=words)
    assert small.report.warnings and small.report.n_in == 300
    with pytest.raises(TypeError, match="list of row dicts"):
        curation.curate("raw.jsonl", reference=general)
