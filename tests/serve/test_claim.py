"""Lesson 07's published figure: the seed article's claim is read from data/serving_figures.csv
with its source and date, and a file without it, or with a value that is not a whole number, is
refused naming the file and field."""

import csv

import pytest

from course_utils.errors import DataFileError
from course_utils.serve.claim import SEED_CLAIM, SERVING_FIGURES_FILE, load_seed_claim


def test_the_claim_comes_from_its_data_file_with_source_and_date():
    import course_utils

    assert course_utils.SEED_CLAIM is SEED_CLAIM
    assert (SEED_CLAIM["adapters"], SEED_CLAIM["gpu"], SEED_CLAIM["gpu_gb"]) == (25, "A100 80GB", 80)
    assert SEED_CLAIM["base"] == "mistral-7b" and SEED_CLAIM["as_of"] == "2026-06-01"
    assert "zerotomodel.com" in SEED_CLAIM["source"] and SEED_CLAIM["url"].startswith("https://")


def _rewrite(tmp_path, change):
    with open(SERVING_FIGURES_FILE, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows = [r for r in (change(dict(r)) for r in rows) if r is not None]
    path = tmp_path / "figures.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_missing_or_fractional_figure_is_refused(tmp_path):
    gone = _rewrite(tmp_path, lambda r: None if r["name"] == "seed_claim_gpu_gb" else r)
    with pytest.raises(DataFileError, match=r"figures.csv, field 'name': no row named 'seed_claim_gpu_gb'"):
        load_seed_claim(gone)
    half = _rewrite(tmp_path, lambda r: {**r, "value": "25.5"} if r["name"] == "seed_claim_adapters" else r)
    with pytest.raises(DataFileError, match=r"field 'value': seed_claim_adapters must be one whole number"):
        load_seed_claim(half)
    undated = _rewrite(tmp_path, lambda r: {**r, "as_of": "mid-2026"})
    with pytest.raises(DataFileError, match="as_of"):
        load_seed_claim(undated)
