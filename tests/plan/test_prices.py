"""The prices file loads, every figure carries a date and a source, and bad data is named."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from course_utils.errors import DataFileError
from course_utils.plan import prices as P

GOOD = {
    "provider": "RunPod Community", "item": "A100 80GB", "kind": "gpu_rental", "unit": "$/hour",
    "value": "1.64", "low": "", "high": "", "vram_gb": "80", "as_of": "2026-06-01",
    "source_name": "somebody", "source_url": "https://example.org/prices", "notes": "",
}


def write_csv(tmp_path, rows, header=P.COLUMNS, name="prices.csv"):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(c, "") for c in header] if isinstance(r, dict) else r)
    path = tmp_path / name
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def bad(**changes):
    return {**GOOD, **changes}


# --- the shipped file --------------------------------------------------------------------

def test_shipped_file_loads_and_is_sourced():
    rows = P.load_prices()
    assert len(rows) >= 25
    for r in rows:
        assert r.source_url.startswith("https://"), r
        assert r.source_name and r.as_of.year >= 2026
    kinds = {r.kind for r in rows}
    assert {"gpu_rental", "managed_training", "api_inference", "managed_hosting",
            "managed_inference"} <= kinds


def test_shipped_file_holds_the_seed_figures():
    """The mid-2026 figures the seed articles give, as the file holds them."""
    get = P.find_price
    assert get("RunPod Community", "A100 80GB").value == 1.64
    assert get("RunPod Secure", "A100 80GB").value == 2.21
    assert get("Lambda", "A100 80GB").value == 2.49
    vast = get("Vast.ai on-demand", "A100 80GB")
    assert (vast.low, vast.high) == (0.67, 1.89)
    assert get("RunPod Community", "H100 80GB").value == 1.99
    assert get("Together AI", "Open-weight 7B fine-tuning").value == 0.48
    assert get("Google Vertex AI", "Gemini fine-tuning").value == 3.00
    assert get("OpenAI", "GPT-4o fine-tuning").value == 25.00
    assert get("OpenAI", "GPT-4o mini fine-tuning").value == 3.00
    assert get("Google Vertex AI", "Gemini 3+ tuned endpoint").value == 1.5
    hosting = get("Dedicated endpoint (OpenAI-style)", "Fine-tuned model hosting")
    assert (hosting.low, hosting.high) == (1.70, 3.00)


def test_openai_finetuning_is_marked_closed_and_others_are_not():
    rows = P.load_prices()
    closed = {r.item for r in rows if r.closed_to_new_users}
    assert closed == {"GPT-4o fine-tuning", "GPT-4o mini fine-tuning"}


def test_gpu_rental_options_contract():
    opts = P.gpu_rental_options()
    assert len(opts) == len(P.prices_of_kind("gpu_rental"))
    assert [o.hourly_low for o in opts] == sorted(o.hourly_low for o in opts)
    runpod = [o for o in opts if o.provider == "RunPod Community" and o.gpu == "A100 80GB"][0]
    assert (runpod.hourly_low, runpod.hourly_high, runpod.vram_gb) == (1.64, 1.64, 80.0)
    assert isinstance(runpod.as_of, dt.date) and "runaihome" in runpod.source_name
    assert {o.vram_gb for o in opts} >= {24.0, 48.0, 80.0, 141.0}
    assert "RunPod Community" in runpod.label() and "$1.64/h" in runpod.label()


def test_formatted_prices():
    assert P.find_price("RunPod Community", "A100 80GB").formatted() == "$1.64/hour"
    assert P.find_price("Vast.ai on-demand", "A100 80GB").formatted() == "$0.67–1.89/hour"
    assert P.find_price("Around-the-clock serving (article estimate)", "7B model").formatted() \
        == "$2,000–4,000/month"
    assert P.find_price("Google Vertex AI", "Gemini 3+ tuned endpoint").formatted() \
        == "1.5x base inference rate"


def test_find_price_errors_name_the_argument_and_list_choices():
    with pytest.raises(P.UnknownPriceError, match=r"provider 'Nope'.*known providers"):
        P.find_price("Nope", "A100 80GB")
    with pytest.raises(P.UnknownPriceError, match=r"item 'T4'.*'RunPod Community'"):
        P.find_price("RunPod Community", "T4")
    with pytest.raises(P.UnknownPriceError, match="pass unit="):
        P.find_price("OpenAI", "GPT-4.1")
    with pytest.raises(P.UnknownPriceError, match=r"unit '\$/year'"):
        P.find_price("OpenAI", "GPT-4.1", "$/year")
    with pytest.raises(ValueError, match="kind 'rental'"):
        P.prices_of_kind("rental")


# --- malformed files: each names the line and the field ------------------------------------

@pytest.mark.parametrize("row, field, words", [
    (bad(value="1,64"), "value", "not a number"),
    (bad(value="$1.64"), "value", "not a number"),
    (bad(value="-1"), "value", "not a number >= 0"),
    (bad(value=""), "value", "no price"),
    (bad(value="", low="1"), "high", "needs both"),
    (bad(value="", low="2", high="1"), "low", "above high"),
    (bad(low="1", high="2"), "value", "keep one"),
    (bad(kind="rental"), "kind", "not a known kind"),
    (bad(unit="$/day"), "unit", "not a unit for kind"),
    (bad(vram_gb=""), "vram_gb", "needs the GPU's memory"),
    (bad(vram_gb="0"), "vram_gb", "not a number > 0"),
    (bad(as_of="mid-2026"), "as_of", "YYYY-MM-DD"),
    (bad(as_of="2026-6-1"), "as_of", "YYYY-MM-DD"),
    (bad(source_url="the article"), "source_url", "not an address"),
    (bad(source_name=""), "source_name", "is empty"),
    (bad(provider=""), "provider", "is empty"),
])
def test_malformed_row_names_line_and_field(tmp_path, row, field, words):
    path = write_csv(tmp_path, [GOOD | {"item": "H100 80GB"}, row])
    with pytest.raises(DataFileError) as e:
        P.load_prices(path)
    err = e.value
    assert (err.line, err.field) == (3, field)
    msg = str(err)
    assert "prices.csv" in msg and "line 3 (data row 2)" in msg and f"field '{field}'" in msg
    assert words in msg


def test_missing_and_unknown_columns(tmp_path):
    header = [c for c in P.COLUMNS if c != "as_of"]
    path = write_csv(tmp_path, [{k: v for k, v in GOOD.items() if k != "as_of"}], header=header)
    with pytest.raises(DataFileError, match=r"line 1 \(header\), field 'as_of'.*missing"):
        P.load_prices(path)
    path = write_csv(tmp_path, [GOOD | {"currency": "USD"}], header=[*P.COLUMNS, "currency"])
    with pytest.raises(DataFileError, match=r"field 'currency'.*unknown column"):
        P.load_prices(path)


def test_wrong_cell_counts(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(",".join(P.COLUMNS) + "\n" + ",".join(GOOD.values()) + ",extra\n")
    with pytest.raises(DataFileError, match=r"line 2 .*13 cells for 12 columns"):
        P.load_prices(path)
    path.write_text(",".join(P.COLUMNS) + "\nRunPod,A100 80GB,gpu_rental\n")
    with pytest.raises(DataFileError, match=r"line 2 .*fewer cells"):
        P.load_prices(path)


def test_duplicate_row_names_both_lines(tmp_path):
    path = write_csv(tmp_path, [GOOD, GOOD])
    with pytest.raises(DataFileError, match=r"line 3 .*already given on line 2"):
        P.load_prices(path)


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(DataFileError, match="holds no price rows"):
        P.load_prices(write_csv(tmp_path, []))
    with pytest.raises(DataFileError, match="no such file"):
        P.load_prices(tmp_path / "absent.csv")


def test_blank_lines_are_skipped_and_ranges_read(tmp_path):
    path = write_csv(tmp_path, [GOOD, [""] * len(P.COLUMNS),
                                bad(item="H100 80GB", value="", low="1.00", high="2.13")])
    rows = P.load_prices(path)
    assert [r.item for r in rows] == ["A100 80GB", "H100 80GB"]
    assert (rows[1].price_low, rows[1].price_high, rows[1].is_range) == (1.0, 2.13, True)
    assert (rows[0].price_low, rows[0].price_high, rows[0].is_range) == (1.64, 1.64, False)


# --- staleness ---------------------------------------------------------------------------

def test_age_warning_with_injected_today(tmp_path):
    rows = P.load_prices(write_csv(tmp_path, [GOOD, bad(item="H100 80GB", as_of="2026-01-01")]))
    # 2026-06-01 + 180 days = 2026-11-28: the June row turns stale the day after.
    assert P.price_age_warning(rows, today=dt.date(2025, 12, 31)) is None
    msg = P.price_age_warning(rows, today=dt.date(2026, 7, 1))  # only the January row is old
    assert msg is not None and "1 of 2 prices" in msg and "H100 80GB" in msg
    assert "oldest: 2026-01-01, 181 days" in msg
    assert [r.item for r in P.stale_prices(rows, today=dt.date(2026, 11, 29))] == \
        ["A100 80GB", "H100 80GB"]
    assert P.stale_prices(rows, today=dt.date(2026, 11, 28)) == [rows[1]]
    # the limit is configurable, by argument and by environment
    assert P.price_age_warning(rows, max_age_days=400, today=dt.date(2026, 11, 29)) is None
    assert "2 of 2" in P.price_age_warning(rows, max_age_days=10, today=dt.date(2026, 6, 20))


def test_age_limit_from_environment(monkeypatch):
    monkeypatch.setenv(P.MAX_AGE_ENV, "30")
    assert P.max_age_days_setting() == 30
    assert P.max_age_days_setting(7) == 7
    monkeypatch.setenv(P.MAX_AGE_ENV, "soon")
    with pytest.raises(ValueError, match="COURSE_PRICE_MAX_AGE_DAYS='soon'"):
        P.max_age_days_setting()
    monkeypatch.delenv(P.MAX_AGE_ENV)
    assert P.max_age_days_setting() == P.DEFAULT_MAX_AGE_DAYS == 180
    with pytest.raises(ValueError, match="max_age_days"):
        P.max_age_days_setting(-1)
