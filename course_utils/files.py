"""Reading a data file's text and its JSON strictly, with errors that say where and how
to fix them.

Every dataset loader reads through these functions:

    read_text(path)                 UTF-8 text; a leading byte-order mark (what Excel and Notepad
                                    write for "UTF-8") is accepted and removed
    parse_json(text, path, line)    one JSON document, stricter than `json.loads`
    bad_bytes_in, bad_bytes_message for loaders that read record by record and name the field
                                    that holds an undecodable byte

and raises `course_utils.errors.DataFileError` instead of guessing:

- a byte that is not UTF-8 (a Latin-1 or Windows-1252 'é', a UTF-16 file) names the line, the
  column, the bytes and what they would be in Windows-1252, and says to re-save the file as
  UTF-8 (`bad_bytes_message`): decoding it some other way would be a guess that can turn every
  accent into garbage;
- a key that appears twice in one object (`json.loads` keeps the last one and drops the other
  without a word), ``NaN`` / ``Infinity`` (not JSON, though Python writes them), a number that
  overflows to infinity, and a number literal longer than `MAX_NUMBER_DIGITS` digits (a broken
  export; other JSON readers keep 15-17 digits) are refused with their line and column.

What this leaves out: other encodings on purpose (a caller that knows its file is Windows-1252
passes ``encoding="cp1252"`` to `read_text`), JSON5 or comments, and files too large to read
into memory at once.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from pathlib import Path

from course_utils.errors import DataFileError

MAX_NUMBER_DIGITS = 30
RESAVE_UTF8 = "re-save the file as UTF-8 (in Excel: Save As > CSV UTF-8)"


# --------------------------------------------------------------------------------------------
# Text.
def read_text(path, *, encoding: str = "utf-8", hint: str = "", keep_bad_bytes: bool = False,
              notes: list | None = None) -> str:
    """Lessons 01-04. The text of `path`: a leading BOM removed, any undecodable byte an error.

    hint: appended to the "no such file" message (e.g. how to rebuild the file).
    keep_bad_bytes: instead of raising, turn each undecodable byte into a lone surrogate
    (U+DC80-U+DCFF, Python's "surrogateescape"), so a caller that parses the text can say which
    record and field holds it (`bad_bytes_in`). notes: a list to append "BOM removed" to.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file" + (f"; {hint}" if hint else ""))
    data = path.read_bytes()
    is_utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and is_utf8:
        raise DataFileError(path, 1, None, f"the file is UTF-16 (it starts with a UTF-16 byte-order "
                                           f"mark), not UTF-8; {RESAVE_UTF8}.")
    if data.startswith(codecs.BOM_UTF8) and is_utf8:
        data = data[len(codecs.BOM_UTF8):]
        if notes is not None:
            notes.append("a UTF-8 byte-order mark (as Excel writes) was removed")
    if keep_bad_bytes:
        return data.decode(encoding, errors="surrogateescape")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise _decode_error(path, data, e, encoding) from None


def bad_bytes_in(text: str) -> bytes:
    """Lesson 04. The undecodable bytes `read_text(..., keep_bad_bytes=True)` kept in `text`."""
    return bytes(ord(ch) - 0xDC00 for ch in text if "\udc80" <= ch <= "\udcff")


def _decode_error(path, data: bytes, e: UnicodeDecodeError, encoding: str) -> DataFileError:
    start = e.start
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    before = data[max(0, start - 30):start].decode(encoding, errors="replace").split("\n")[-1]
    return DataFileError(path, line, None, f"{bad_bytes_message(data[start:max(e.end, start + 1)], encoding)}"
                                           f" (column {column}, after {before!r})")


def bad_bytes_message(bad: bytes, encoding: str = "utf-8", *, can_name_encoding: bool = False) -> str:
    """Lesson 04. What is wrong with bytes that do not decode, and the fix (no guessing).

    can_name_encoding: the loader takes an ``encoding=`` argument, so say when to use it.
    """
    shown = " ".join(f"0x{b:02X}" for b in bad)
    try:
        as_1252 = f" ({bad.decode('cp1252')!r} in Windows-1252)"
    except UnicodeDecodeError:
        as_1252 = ""
    other = (", or, if all of it is in one other encoding, name it (encoding='cp1252')"
             if can_name_encoding else "")
    return (f"byte {shown} is not {encoding}{as_1252}: this line was saved in another "
            f"encoding; {RESAVE_UTF8}{other}")


# --------------------------------------------------------------------------------------------
# JSON.
class _Refused(ValueError):
    """Raised by the parse hooks; `parse_json` turns it into a DataFileError with a position."""

    def __init__(self, kind: str, detail: str, field: str | None = None):
        super().__init__(detail)
        self.kind, self.detail, self.field = kind, detail, field


def _pairs(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise _Refused("duplicate", f"key {k!r} appears twice in one object; JSON readers keep "
                                        "only the last value, so one would be lost silently. "
                                        "Remove or rename one of them.", field=k)
        seen.add(k)
    return dict(pairs)


def _constant(name: str):
    raise _Refused("constant", f"{name} is not JSON (Python's json.dumps writes it unless "
                               "allow_nan=False); write null, or the value as a string.")


def _number_text(s: str) -> str:
    digits = sum(ch.isdigit() for ch in s)
    if digits > MAX_NUMBER_DIGITS:
        raise _Refused("long", f"a number with {digits:,} digits (starts {s[:12]}...): JSON "
                               f"readers keep 15-17 digits, so this is a broken value; write it "
                               f"as a string if it is an identifier.")
    return s


def _float(s: str) -> float:
    value = float(_number_text(s))
    if not math.isfinite(value):
        raise _Refused("long", f"the number {s[:20]} is too large for a float (it becomes "
                               "infinity); write it as a string.")
    return value


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN|-?\d[\d.eE+-]*|[{}\[\]:,]|\s+|.', re.S)


def _position(text: str, err: _Refused) -> tuple[int, int]:
    """(line, column) of the first token that triggers `err`, scanning outside strings."""
    stack: list[set | None] = []
    expect_key = False
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        hit = False
        if tok == "{":
            stack.append(set())
            expect_key = True
        elif tok == "[":
            stack.append(None)
        elif tok in "}]" and stack:
            stack.pop()
        elif tok == ",":
            expect_key = bool(stack) and stack[-1] is not None
        elif tok.startswith('"') and expect_key:
            expect_key = False
            key = json.loads(tok)
            hit = err.kind == "duplicate" and key in stack[-1]
            stack[-1].add(key)
        elif err.kind == "constant":
            hit = tok.lstrip("-") in ("Infinity", "NaN")
        elif err.kind == "long" and tok[:1] in "-0123456789":
            hit = sum(ch.isdigit() for ch in tok) > MAX_NUMBER_DIGITS or not math.isfinite(float(tok))
        if hit:
            start = m.start()
            return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1
    return 1, 1


def parse_json(text: str, path, line: int | None = None):
    """Lessons 01-04. One JSON document from `text` (a whole file, or one line of a JSON Lines file
    when `line` is given), refusing what `json.loads` lets through (see the module docstring).
    """
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant,
                          parse_float=_float, parse_int=lambda s: int(_number_text(s)))
    except json.JSONDecodeError as e:
        if not text.strip():
            raise DataFileError(path, line or 1, None, "empty; a JSON value was expected.") from None
        lines = text.splitlines()
        shown = f" (the line starts {lines[e.lineno - 1][:40]!r})" if e.lineno <= len(lines) else ""
        raise DataFileError(path, e.lineno if line is None else line, None,
                            f"not valid JSON: {e.msg} at column {e.colno}{shown}") from None
    except _Refused as e:
        at_line, col = _position(text, e)
        where = at_line if line is None else line
        raise DataFileError(path, where, e.field, f"column {col}: {e.detail}") from None


def read_yaml(path, *, missing: str = "no such file."):
    """Lessons 01-04. The YAML document at `path` (PyYAML's safe loader, read through `read_text`),
    a `DataFileError` naming the line for a file that is missing or not valid YAML."""
    import yaml  # PyYAML, pinned in requirements.txt; imported on use to keep this module light

    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, None, None, missing)
    try:
        return yaml.safe_load(read_text(path))
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise DataFileError(path, None if line is None else line + 1, None,
                            f"not valid YAML: {e}") from None
