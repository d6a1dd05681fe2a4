"""Lesson 04: the loaders stop at the first bad line and say where (file, line, field) and what,
with the course's one error for a bad data file."""

import json

import pytest

from course_utils.dataset import load
from course_utils.dataset.build import GENERAL_COUNT
from course_utils.errors import DataFileError
from course_utils.tasks import SYSTEM_PROMPTS

GOOD = {"id": "t1", "task": "moderation", "messages": [
    {"role": "system", "content": SYSTEM_PROMPTS["moderation"]},
    {"role": "user", "content": "Is the Aero Kettle loud?"},
    {"role": "assistant", "content": "label: ok\nreason: a genuine product question"}], "meta": {}}


def write(tmp_path, lines, name="rows.jsonl"):
    p = tmp_path / name
    p.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return p


def test_bad_json_line_names_file_and_line(tmp_path):
    p = write(tmp_path, [json.dumps(GOOD), '{"id": "t2", "task": "triage",'])
    with pytest.raises(DataFileError) as e:
        load.load_jsonl(p)
    msg = str(e.value)
    assert str(p) in msg and "line 2" in msg and "not valid JSON" in msg
    assert e.value.line == 2 and e.value.path == str(p) and e.value.field is None


def test_missing_field_names_the_field(tmp_path):
    bad = {k: v for k, v in GOOD.items() if k != "task"}
    p = write(tmp_path, [json.dumps(GOOD), json.dumps(GOOD), json.dumps(bad)])
    with pytest.raises(DataFileError, match=r"line 3, field 'task': missing") as e:
        load.load_rows(p)
    assert e.value.field == "task"


def test_wrong_type_names_field_type_and_value(tmp_path):
    bad = json.loads(json.dumps(GOOD))
    bad["messages"][1]["content"] = 42
    p = write(tmp_path, [json.dumps(bad)])
    with pytest.raises(DataFileError,
                       match=r"line 1, field 'messages\[1\]\.content': expected a string, got int \(42\)"):
        load.load_rows(p)


def test_other_problems_are_reported_not_skipped(tmp_path):
    cases = [
        ({**GOOD, "task": "chitchat"}, "field 'task': 'chitchat' is not one of"),
        ({**GOOD, "id": 7}, "field 'id': expected a string, got int"),
        ({**GOOD, "messages": GOOD["messages"][:2]}, "ending with assistant"),
        ({**GOOD, "messages": [{**m, "role": "bot"} if m["role"] == "assistant" else m
                               for m in GOOD["messages"]]}, "'bot' is not one of"),
        ({**GOOD, "messages": GOOD["messages"][:2] + [{"role": "assistant", "content": "label: meh"}]},
         r"field 'messages\[2\]\.content': answer is not 'label:"),
        ([1, 2], "expected a JSON object, got list"),
    ]
    for obj, pattern in cases:
        p = write(tmp_path, [json.dumps(obj)])
        with pytest.raises(DataFileError, match=pattern):
            load.load_rows(p)
    p = write(tmp_path, [json.dumps(GOOD), "", json.dumps(GOOD)])
    with pytest.raises(DataFileError, match="line 2: blank line"):
        load.load_jsonl(p)


def test_raw_loader_accepts_broken_rows_but_not_broken_lines(tmp_path):
    broken = {"id": "r1", "task": "triage", "messages": "not a list"}
    p = write(tmp_path, [json.dumps(broken)])
    assert load.load_raw(p) == [broken]
    p = write(tmp_path, [json.dumps(broken), json.dumps({"task": "triage"})])
    with pytest.raises(DataFileError, match="line 2, field 'id': missing"):
        load.load_raw(p)


def test_truth_and_facts_files_are_checked(tmp_path):
    (tmp_path / "facts_v1.json").write_text('[{"id": "x", "text": "t"}]')
    with pytest.raises(DataFileError, match=r"facts_v1.json, field '\[0\].value': missing"):
        load.load_facts(1, tmp_path)
    (tmp_path / "facts_v2.json").write_text('[{"id": "x",')
    with pytest.raises(DataFileError, match="facts_v2.json, line 1: not valid JSON"):
        load.load_facts(2, tmp_path)
    truth = tmp_path / "truth.json"
    truth.write_text('{"drop": {}}')
    with pytest.raises(DataFileError, match="field 'transform': missing"):
        load.load_truth(truth)


def test_missing_files_and_unknown_names_say_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m course_utils.dataset.build"):
        load.load_jsonl(tmp_path / "nope.jsonl")
    with pytest.raises(ValueError, match="choose from"):
        load.load_split("training")
    with pytest.raises(ValueError, match="choose 1 or 2"):
        load.load_facts(3)


def test_every_committed_dataset_loads_with_full_checks():
    sizes = {name: len(load.load_split(name)) for name in load.SPLIT_FILES}
    assert sizes["train"] > 1500 and sizes["general"] == GENERAL_COUNT
    truth = load.load_truth()
    raw_ids = {r["id"] for r in load.load_raw()}
    assert all(i in raw_ids for ids in truth["drop"].values() for i in ids)


def test_what_a_learner_brings_is_named_not_guessed(tmp_path):
    """The failures measured in issue 16, through the course's loaders: each is a DataFileError
    with the file and the line, and a BOM (what Excel and Notepad write) is simply accepted."""
    good = json.dumps(GOOD)
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + (good + "\n").encode("utf-8"))
    assert load.load_rows(p) == [GOOD]
    cases = [
        ((good + "\n" + good.replace("Kettle", "K\u00e9ttle") + "\n").encode("latin-1"),
         2, None, "0xE9 is not utf-8"),
        ((good + "\n" + good[:-1] + ', "id": "again"}\n').encode(), 2, "id", "appears twice"),
        ((good + "\n" + good[:-1] + ', "score": NaN}\n').encode(), 2, None, "NaN is not JSON"),
        (('{"id": "t9", "n": ' + "7" * 5000 + "}\n").encode(), 1, None, "5,000 digits"),
    ]
    for data, line, field, pattern in cases:
        p.write_bytes(data)
        with pytest.raises(DataFileError, match=pattern) as e:
            load.load_raw(p)
        assert (e.value.path, e.value.line, e.value.field) == (str(p), line, field)
    (tmp_path / "facts_v1.json").write_bytes(b'[{"id": "x", "text": "t", "value": "v", "value": "w"}]')
    with pytest.raises(DataFileError, match=r"facts_v1.json, line 1, field 'value': column 41: key 'value' appears twice"):
        load.load_facts(1, tmp_path)
    truth = tmp_path / "truth.json"
    truth.write_bytes(b'{"drop": {}, "transform": {}, "seed": Infinity}')
    with pytest.raises(DataFileError, match="truth.json, line 1: column 39: Infinity is not JSON"):
        load.load_truth(truth)
