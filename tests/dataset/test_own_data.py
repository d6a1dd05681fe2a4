"""Lesson 04: a learner's CSV, JSON Lines file, DataFrame or Dataset becomes course rows through an
explicit mapping; every record is either a row or listed with its reason, and what cannot be read
is named by file, line and column."""

import codecs
import json

import pytest

from course_utils.dataset.curation import curate
from course_utils.dataset.load import load_general
from course_utils.dataset.own_data import load_dataset_rows
from course_utils.errors import DataFileError
from row_builders import words

HEADER = "id,when,question,reply,notes\r\n"
MAP = dict(user="question", answer="reply", task="shop_help")


def write(tmp_path, data: bytes, name="mine.csv"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_an_excel_style_csv_becomes_rows_named_by_their_line(tmp_path):
    text = (HEADER + '1,mon,"Hi, my bike, the red one, squeaks",Bring it in.,\r\n'
            '2,tue,"She said ""urgent""\r\nand left",We called back.,"x, y"\r\n'
            "3,wed,,No question here,\r\n" + HEADER + "4,thu,Where is my order?,Tomorrow.,\r\n")
    p = write(tmp_path, codecs.BOM_UTF8 + text.encode("utf-8"))
    loaded = load_dataset_rows(p, **MAP, system_prompt="Answer as the shop.")
    assert [r["id"] for r in loaded.rows] == ["line 2", "line 3", "line 5", "line 7"]
    first, second = loaded.rows[0], loaded.rows[1]
    assert first["task"] == "shop_help" and first["meta"] == {"source": str(p), "line": 2}
    assert first["messages"] == [{"role": "system", "content": "Answer as the shop."},
                                 {"role": "user", "content": "Hi, my bike, the red one, squeaks"},
                                 {"role": "assistant", "content": "Bring it in."}]
    assert second["messages"][1]["content"] == 'She said "urgent"\r\nand left'
    assert loaded.rows[2]["messages"][1]["content"] == ""  # a blank cell: the curation reports it
    assert loaded.dropped == [("line 6", "a repeated header line (files pasted together?)")]
    assert loaded.n_records == 5 and loaded.tasks == ("shop_help",)
    assert any("byte-order mark" in n for n in loaded.notes)
    assert any(n == "columns not used: id, when, notes" for n in loaded.notes)
    assert "5 records -> 4 rows, 1 left out" in loaded.summary()


def test_a_bad_record_stops_the_load_or_is_listed_never_skipped(tmp_path):
    data = (HEADER + "1,mon,Hi there,Hello,\r\n2,tue,Hi, again,Hello,\r\n").encode() + \
        "3,wed,caf\u00e9 open?,Yes,\r\n".encode("cp1252")
    p = write(tmp_path, data)
    with pytest.raises(DataFileError) as e:
        load_dataset_rows(p, **MAP)
    assert (e.value.line, e.value.field) == (3, None)
    assert "line 3 (data row 2)" in str(e.value) and "6 fields, the header has 5" in str(e.value)
    loaded = load_dataset_rows(p, **MAP, bad_lines="drop")
    assert [r["id"] for r in loaded.rows] == ["line 2"] and loaded.n_records == 3
    (id1, why1), (id2, why2) = loaded.dropped
    assert id1 == "line 3" and "put the field in double quotes" in why1.lower()
    assert id2 == "line 4" and why2.startswith("field 'question': byte 0xE9 is not utf-8 ('é' in Windows-1252)")
    assert "re-save the file as UTF-8" in why2
    p.write_bytes(data.replace(b"2,tue,Hi, again,Hello,\r\n", b""))
    with pytest.raises(DataFileError, match=r"line 3 \(data row 2\), field 'question': byte 0xE9"):
        load_dataset_rows(p, **MAP)


def test_what_makes_the_whole_file_unreadable_is_named(tmp_path):
    p = write(tmp_path, HEADER.encode() + b"1,mon,Hi,Hello,\r\n")
    with pytest.raises(DataFileError, match=r"line 1 \(header\), field 'answer_text': no such column; "
                                            r"the columns are \['id', 'when', 'question', 'reply', 'notes'\]"):
        load_dataset_rows(p, user="question", answer="answer_text")
    p = write(tmp_path, HEADER.encode() + b'1,mon,"Hi,Hello,\r\n' + b"2,tue,x,y,\r\n" * 300)
    with pytest.raises(DataFileError, match=r"line 2 \(data row 1\): not valid CSV .* starts on line 2 "
                                            r"runs on for 301 lines: an opening double quote"):
        load_dataset_rows(p, **MAP)
    p = write(tmp_path, "question,reply\n".encode("utf-16"))
    with pytest.raises(DataFileError, match="UTF-16"):
        load_dataset_rows(p, **MAP)
    with pytest.raises(ValueError, match="a .xlsx file; pass a .csv or a .jsonl"):
        load_dataset_rows(write(tmp_path, b"x", "book.xlsx"), **MAP)
    with pytest.raises(ValueError, match="bad_lines='skip'"):
        load_dataset_rows(p, **MAP, bad_lines="skip")
    with pytest.raises(ValueError, match="task='general'"):
        load_dataset_rows(p, user="question", answer="reply", task="general")
    with pytest.raises(TypeError, match="cannot read a dict"):
        load_dataset_rows({"question": ["a"]}, **MAP)


def test_json_lines_with_the_same_mapping(tmp_path):
    lines = [json.dumps({"q": "Where is my parcel?", "a": "On its way.", "skill": "orders"}),
             '{"q": "Broken", "a": 1.5e999}', json.dumps({"q": "Hi"}), "",
             json.dumps({"q": "Is it waterproof?", "a": "Yes."})]
    p = write(tmp_path, ("\n".join(lines) + "\n").encode(), "mine.jsonl")
    with pytest.raises(DataFileError, match=r"line 2: column 22: the number 1.5e999 is too large"):
        load_dataset_rows(p, user="q", answer="a")
    loaded = load_dataset_rows(p, user="q", answer="a", task_column="skill", bad_lines="drop")
    assert [(r["id"], r["task"]) for r in loaded.rows] == [("line 1", "orders"), ("line 5", "custom")]
    assert [i for i, _ in loaded.dropped] == ["line 2", "line 3"]
    assert "field 'a': missing" in loaded.dropped[1][1] and loaded.n_records == 4
    assert any("blank line" in n for n in loaded.notes)
    with pytest.raises(DataFileError, match="field 'answer': no such column"):
        load_dataset_rows(p, user="q", answer="answer")


def test_a_dataframe_a_dataset_and_a_list_of_dicts():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"q": ["Hi", None, "Bye"], "a": ["Hello", "x", float("nan")]}, index=[10, 11, 12])
    loaded = load_dataset_rows(df, user="q", answer="a")
    assert [r["id"] for r in loaded.rows] == ["row 10", "row 11", "row 12"]
    assert [r["messages"][0]["content"] for r in loaded.rows] == ["Hi", "", "Bye"]
    df["a"] = [1, 2, 3]
    with pytest.raises(DataFileError, match=r"<DataFrame>, field 'a': expected text, got int \(1\); "
                                            r"convert the column to text first \(df\['a'\] = df\['a'\].astype\(str\)\)"):
        load_dataset_rows(df, user="q", answer="a")
    records = [{"q": "Hi", "a": "Hello", "sys": "Be brief."}]
    rows = load_dataset_rows(records, user="q", answer="a", system_column="sys").rows
    assert rows[0]["messages"][0] == {"role": "system", "content": "Be brief."}


@pytest.mark.slow  # importing datasets takes a few seconds
def test_a_hugging_face_dataset():
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"q": ["Hi", "Bye"], "a": ["Hello", "See you"]})
    loaded = load_dataset_rows(ds, user="q", answer="a", task="greetings")
    assert [(r["id"], r["messages"][1]["content"]) for r in loaded.rows] == [("row 0", "Hello"), ("row 1", "See you")]


def test_curate_reports_every_record_of_a_loaded_file(tmp_path):
    text = (HEADER + "".join(f"{i},mon,My bike number {i} has a flat tyre and a bent wheel rim,"
                             f"Bring it to the shop and we fix it today,\r\n" for i in range(30))
            + "99,tue,,Hello,\r\n" + HEADER)
    loaded = load_dataset_rows(write(tmp_path, text.encode()), **MAP)
    result = curate(loaded, reference=load_general()[:200], count_tokens=words, min_examples=0)
    report = result.report
    assert report.steps[0] == {"step": "load", "rows_in": 32, "rows_out": 31, "affected": 1,
                               "seconds": 0.0}
    assert report.n_in == 32 and report.ids("load") == ["line 33"]
    assert report.ids("empty") == ["line 32"] and report.ids("malformed") == []
    dropped = sum(len(v) for v in report.dropped.values())
    assert report.n_kept == len(result.kept) == report.n_in - dropped
