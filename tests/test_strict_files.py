"""Every data loader of the plan layer reads through course_utils.files: a BOM is accepted, bytes
that are not UTF-8 name the file and line and say to re-save as UTF-8 (the dataset layer's own
loaders are tested in tests/dataset/test_files.py)."""

import codecs

import pytest

from course_utils.errors import DataFileError
from course_utils.plan.datafiles import read_rows
from course_utils.plan.memory.configs import resolve_config
from course_utils.paths import TINY_MODEL_DIR


def test_a_csv_saved_with_a_bom_reads_like_one_without(tmp_path):
    text = "a,b\n1,2\n"
    plain, bom = tmp_path / "plain.csv", tmp_path / "bom.csv"
    plain.write_text(text, encoding="utf-8")
    bom.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    assert list(read_rows(bom, ["a", "b"])) == list(read_rows(plain, ["a", "b"])) == [(2, {"a": "1", "b": "2"})]


def test_a_latin1_byte_in_a_csv_names_the_line_and_the_fix(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes("a,b\n1,2\ncaf\xe9,3\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"prices\.csv, line 3.*UTF-8") as info:
        list(read_rows(path, ["a", "b"]))
    assert info.value.line == 3


def test_a_model_config_with_a_duplicate_key_is_refused_with_its_line(tmp_path):
    cfg = (TINY_MODEL_DIR / "config.json").read_text(encoding="utf-8")
    bad = cfg.replace('"hidden_size"', '"hidden_size": 1,\n  "hidden_size"', 1)
    (tmp_path / "config.json").write_text(bad, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"config\.json.*hidden_size"):
        resolve_config(tmp_path / "config.json")
