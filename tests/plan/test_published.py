"""Published figures: the shipped file is dated and sourced, a bad file is named to the field,
and the decision rules quote the file rather than a literal."""

from __future__ import annotations

import datetime as dt

import pytest

from course_utils.errors import DataFileError
from course_utils.plan import decide
from course_utils.plan import published as pub
from course_utils.plan.costs.amounts import Range

HEADER = ",".join(pub.COLUMNS)
GOOD = "lora_quality_vs_full,,90,95,%,2026-06-01,Article A,,quoted in lesson 01"


def test_shipped_figures_are_dated_and_sourced():
    figures = pub.load_figures()
    assert {"lora_quality_vs_full", "qlora_quality_vs_full"} <= set(figures)
    for f in figures.values():
        assert f.source_name and f.unit and f.notes and f.as_of <= dt.date.today()
        assert f.source_url == "" or f.source_url.startswith("https://")
        assert f.source_url or "not its address" in f.notes  # say why there is no address
    q = pub.published_figure("lora_quality_vs_full")
    assert q.value == Range(90, 95) and (q.low, q.high) == (90, 95)


def test_a_single_value_and_a_range_are_read(tmp_path):
    p = tmp_path / "figures.csv"
    p.write_text(f"{HEADER}\n{GOOD}\nhours_per_month,720,,,hours,2026-06-01,Article A,,\n")
    figures = pub.load_figures(p)
    assert figures["hours_per_month"].value == 720 and figures["hours_per_month"].low == 720
    assert figures["lora_quality_vs_full"].value == Range(90, 95)


@pytest.mark.parametrize("row, field, words", [
    (GOOD.replace(",,90,95,", ",,90,,"), "high", "needs both low and high"),
    (GOOD.replace(",,90,95,", ",92,90,95,"), "value", "not both"),
    (GOOD.replace(",,90,95,", ",,95,90,"), "low", "above high"),
    (GOOD.replace(",,90,95,", ",,ninety,95,"), "low", "'ninety' is not a number"),
    (GOOD.replace(",,90,95,", ",,-90,95,"), "low", "is not a number > 0"),
    (GOOD.replace("2026-06-01", "mid-2026"), "as_of", "YYYY-MM-DD"),
    (GOOD.replace(",Article A,,", ",Article A,zerotomodel.com,"), "source_url", "not an address"),
    (GOOD.replace(",Article A,", ",,"), "source_name", "is empty"),
    (GOOD, "name", "given twice"),
])
def test_a_bad_row_names_file_line_and_field(tmp_path, row, field, words):
    p = tmp_path / "figures.csv"
    if field != "name":
        row = row.replace("lora_quality_vs_full", "other_figure")
    p.write_text(f"{HEADER}\n{GOOD}\n{row}\n")
    with pytest.raises(DataFileError) as e:
        pub.load_figures(p)
    assert (e.value.path, e.value.line, e.value.field) == (str(p), 3, field)
    assert f"figures.csv, line 3 (data row 2), field '{field}'" in str(e.value)
    assert words in str(e.value)


def test_a_wrong_header_and_a_missing_file(tmp_path):
    p = tmp_path / "figures.csv"
    p.write_text(HEADER.replace("as_of", "date") + "\n" + GOOD + "\n")
    with pytest.raises(DataFileError, match=r"line 1 \(header\), field 'as_of'.*missing"):
        pub.load_figures(p)
    with pytest.raises(DataFileError, match="no such file"):
        pub.load_figures(tmp_path / "absent.csv")


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"argument 'name': 'speedup'.*lora_quality_vs_full"):
        pub.published_figure("speedup")


def test_the_decision_rules_quote_the_figures_file(tmp_path, monkeypatch):
    p = tmp_path / "figures.csv"
    p.write_text(f"{HEADER}\n{GOOD.replace(',,90,95,', ',,81,83,')}\n"
                 f"{GOOD.replace('lora_', 'qlora_').replace(',,90,95,', ',,71,73,')}\n")
    monkeypatch.setattr(pub, "data_path", lambda name: p)
    full = decide.recommend(True, True, 5_000, 5_000_000, True, gpu_vram_gb=160, max_quality=True)
    assert full.method == "full" and "LoRA keeps ~81–83%, QLoRA ~71–73%" in full.reasons[-1].text
    qlora = decide.recommend(True, True, 5_000, 5_000_000, True)
    assert qlora.method == "QLoRA" and "~71–73% of full fine-tuning's quality" in qlora.reasons[-1].text
