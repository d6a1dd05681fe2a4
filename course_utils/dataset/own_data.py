"""Lesson 04: your own data in: a CSV file, a JSON Lines file, a pandas DataFrame or a Hugging Face
`datasets.Dataset` turned into the course's rows, with an explicit column mapping.

    loaded = load_dataset_rows("data/learner_tickets.csv", user="customer_message",
                               answer="agent_reply", task="bike_support",
                               system_prompt="Answer as Pedalworks support.", bad_lines="drop")
    result = curate(loaded, reference=load_general())

Each record becomes ``{"id", "task", "messages": [system?, user, assistant], "meta"}``; the id is
the record's place ("line 57" in a file, where the record starts; "row 12" in a frame) unless
`id_column` names one, and ``meta`` keeps the source and the line. Blank cells become blank
text, which the curation's ``empty`` step drops and reports.

Nothing is skipped silently. A file that cannot be read as a whole (a missing column, a quote
that is never closed, UTF-16) raises `course_utils.errors.DataFileError` naming the file, line
and column. A record that cannot be read (a byte that is not UTF-8, more or fewer fields than
the header, a number where text belongs) raises the same error with ``bad_lines="raise"`` (the
default), or, with ``bad_lines="drop"``, is left out and listed in `LoadedRows.dropped` with the
same message; `curate` reports those under ``load``. A repeated header line (exports pasted
together) is always left out and listed. pandas and datasets are never imported here: a frame
or a dataset is recognised by what it has.

What this leaves out: Excel files (.xlsx: save as "CSV UTF-8"), other delimiters, several user
turns per record, and guessing the mapping or the encoding.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.files import bad_bytes_in, bad_bytes_message, parse_json, read_text
from course_utils.errors import DataFileError
from course_utils.tasks import GENERAL

BAD_LINES = ("raise", "drop")
RUNAWAY_LINES = 200  # a quoted field longer than this many lines is a quote never closed


@dataclass
class LoadedRows:
    """Lesson 04. What `load_dataset_rows` read: the rows, what it left out and why."""

    source: str
    rows: list = field(default_factory=list)
    dropped: list = field(default_factory=list)    # [(id, why)]
    n_records: int = 0                             # data records seen: rows + dropped
    tasks: tuple = ()
    notes: list = field(default_factory=list)

    def summary(self) -> str:
        """A few lines: records in, rows out, what was left out and why."""
        lines = [f"{self.source}: {self.n_records:,} records -> {len(self.rows):,} rows, "
                 f"{len(self.dropped)} left out while loading"]
        lines += [f"  left out {rid}: {why}" for rid, why in self.dropped]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


class _Mapping:
    """Which column holds what, and how one record becomes a row."""

    def __init__(self, name, user, answer, task, system_prompt, task_column, system_column,
                 id_column, bad_lines):
        if bad_lines not in BAD_LINES:
            raise ValueError(f"load_dataset_rows(bad_lines={bad_lines!r}): choose 'raise' (stop at "
                             "the first bad record) or 'drop' (leave it out and report it)")
        if not isinstance(task, str) or not task.strip() or task == GENERAL:
            raise ValueError(f"load_dataset_rows(task={task!r}): name your task (a non-empty "
                             f"string other than {GENERAL!r}, which is the general chat pool)")
        self.name, self.task, self.system_prompt, self.bad_lines = name, task, system_prompt, bad_lines
        self.csv = False  # line N of a CSV file is data row N - 1: the error says both
        self.columns = {"user": user, "answer": answer, "task": task_column,
                        "system": system_column, "id": id_column}
        self.result = LoadedRows(name)

    def check_header(self, header: list[str], line: int | None, csv_file: bool = False) -> None:
        for role, col in self.columns.items():
            if col is not None and col not in header:
                arg = {"user": "user", "answer": "answer"}.get(role, f"{role}_column")
                raise DataFileError(self.name, line, col, f"no such column; the columns are "
                                    f"{header}. Name the column that holds the {role} as {arg}=...",
                                    csv=csv_file)
        unused = [h for h in header if h not in self.columns.values()]
        if unused:
            self.result.notes.append(f"columns not used: {', '.join(map(str, unused))}")

    def bad(self, rid: str, err: DataFileError) -> None:
        if self.bad_lines == "raise":
            raise err
        self.result.dropped.append((rid, (f"field '{err.field}': " if err.field else "") + err.reason))

    def add(self, rid: str, line: int | None, record: dict, frame: bool = False) -> None:
        """Turn one record (column -> value) into a row, or report why it cannot be one."""
        self.result.n_records += 1
        values = {}
        for role, col in self.columns.items():
            if col is None:
                continue
            text, problem = _as_text(record.get(col), frame, col)
            if problem:
                return self.bad(rid, DataFileError(self.name, line, col, problem + ".", csv=self.csv))
            values[role] = text
        if self.columns["id"] is not None and values["id"].strip():
            rid = values["id"].strip()
        system = values.get("system", self.system_prompt)
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": values["user"]},
            {"role": "assistant", "content": values["answer"]}]
        task = values.get("task", "").strip() or self.task
        self.result.rows.append({"id": rid, "task": task, "messages": messages,
                                 "meta": {"source": self.name, "line": line}})

    def finish(self, blank_lines: list[int]) -> LoadedRows:
        if blank_lines:
            shown = ", ".join(map(str, blank_lines[:10])) + (" ..." if len(blank_lines) > 10 else "")
            self.result.notes.append(f"{len(blank_lines)} blank line(s) skipped: {shown}")
        self.result.tasks = tuple(sorted({r["task"] for r in self.result.rows} | {self.task}))
        return self.result


def _as_text(value, frame: bool, col: str) -> tuple[str, str]:
    """(text, problem): str stays, missing values become "", anything else is a problem."""
    if isinstance(value, str):
        bad = bad_bytes_in(value)
        if bad:
            return "", bad_bytes_message(bad[:4], can_name_encoding=True)
        return value, ""
    if value is None or (isinstance(value, float) and value != value):
        return "", ""  # a blank cell: the curation's `empty` step reports it
    if frame and type(value).__module__.startswith("pandas") and type(value).__name__ in ("NAType", "NaTType"):
        return "", ""
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    fix = (f"convert the column to text first (df[{col!r}] = df[{col!r}].astype(str))" if frame
           else "write it as a quoted string")
    return "", f"expected text, got {type(value).__name__} ({shown}); {fix}"


# --------------------------------------------------------------------------------------------
# Sources.
def _csv_records(m: _Mapping, path: Path, text: str) -> list[int]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header, start, blank = None, 1, []
    m.csv = True
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record:
                blank.append(line)
                continue
            if header is None:
                header = [h.strip() for h in record]
                m.check_header(header, line, csv_file=True)
                continue
            rid = f"line {line}"
            if [f.strip() for f in record] == header:
                m.result.n_records += 1
                m.result.dropped.append((rid, "a repeated header line (files pasted together?)"))
            elif len(record) != len(header):
                m.result.n_records += 1
                m.bad(rid, DataFileError(path, line, None, f"{len(record)} fields, the header has "
                                         f"{len(header)}: a comma in a field that is not quoted? "
                                         f"Put the field in double quotes.", csv=True))
            else:
                m.add(rid, line, dict(zip(header, record)))
    except csv.Error as e:
        span = reader.line_num - start + 1
        hint = (f"a quoted field that starts on line {start} runs on for {span} lines: an opening "
                f"double quote without its closing one?" if span > RUNAWAY_LINES
                else 'a double quote inside a quoted field must be doubled ("")')
        raise DataFileError(path, start, None, f"not valid CSV ({e}); {hint}", csv=True) from None
    if header is None:
        raise DataFileError(path, 1, None, "empty; a CSV file needs a header line naming its columns.")
    return blank


def _jsonl_records(m: _Mapping, path: Path, text: str) -> list[int]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    records, blank, keys = [], [], {}
    for line, raw in enumerate(lines, start=1):
        if not raw.strip():
            blank.append(line)
            continue
        try:
            obj = parse_json(raw, path, line)
            if not isinstance(obj, dict):
                raise DataFileError(path, line, None, f"expected a JSON object, got {type(obj).__name__}.")
        except DataFileError as e:
            records.append((line, e))
            continue
        keys.update(dict.fromkeys(obj))
        records.append((line, obj))
    # A key no line has is a wrong mapping, not a bad line: say so once.
    m.check_header(list(keys), None)
    for line, obj in records:
        rid = f"line {line}"
        missing = [c for c in (m.columns["user"], m.columns["answer"])
                   if isinstance(obj, dict) and c not in obj]
        if isinstance(obj, DataFileError) or missing:
            m.result.n_records += 1
            m.bad(rid, obj if not missing else DataFileError(
                path, line, missing[0], f"missing (the object has {sorted(obj)})."))
        else:
            m.add(rid, line, obj)
    return blank


def load_dataset_rows(source, *, user: str, answer: str, task: str = "custom",
                      system_prompt: str | None = None, task_column: str | None = None,
                      system_column: str | None = None, id_column: str | None = None,
                      encoding: str = "utf-8", bad_lines: str = "raise") -> LoadedRows:
    """Lesson 04. Your data -> the course's rows (see the module docstring).

    source: a path to a .csv or .jsonl file, a pandas DataFrame, a `datasets.Dataset`, or a
    list of dicts. user, answer: the columns (keys) with the user's text and the answer. task:
    the task name of every row (or `task_column`, where it is blank). system_prompt: a system
    message for every row (or `system_column`). id_column: a column of row ids (default: the
    record's line or row). encoding: of a file (UTF-8, a byte-order mark accepted).
    bad_lines: "raise" stops at the first record that cannot be read; "drop" leaves it out
    and lists it in `LoadedRows.dropped`.
    """
    for arg, val in (("user", user), ("answer", answer)):
        if not isinstance(val, str) or not val:
            raise ValueError(f"load_dataset_rows({arg}={val!r}): name the column that holds the "
                             f"{'user text' if arg == 'user' else 'answer'}")
    name = str(source) if isinstance(source, (str, Path)) else f"<{type(source).__name__}>"
    blank: list[int] = []
    m = _Mapping(name, user, answer, task, system_prompt, task_column, system_column, id_column,
                 bad_lines)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file; check the path")
        kind = path.suffix.lower()
        if kind not in (".csv", ".jsonl"):
            raise ValueError(f"load_dataset_rows({str(path)!r}): a {kind or 'suffix-less'} file; "
                             "pass a .csv or a .jsonl file, or load it into a pandas DataFrame "
                             "first (e.g. pandas.read_excel) and pass the frame")
        # Undecodable bytes are kept as markers; `_as_text` finds them field by field, so the
        # error can name the column as well as the line.
        text = read_text(path, encoding=encoding, keep_bad_bytes=True, notes=m.result.notes)
        blank = (_csv_records if kind == ".csv" else _jsonl_records)(m, path, text)
    elif hasattr(source, "columns") and hasattr(source, "to_dict"):          # pandas DataFrame
        m.check_header([str(c) for c in source.columns], None)
        for index, record in zip(source.index, source.to_dict("records")):
            m.add(f"row {index}", None, record, frame=True)
    elif hasattr(source, "column_names") and hasattr(source, "to_list"):     # datasets.Dataset
        m.check_header(list(source.column_names), None)
        for i, record in enumerate(source.to_list()):
            m.add(f"row {i}", None, record, frame=True)
    elif isinstance(source, list) and all(isinstance(r, dict) for r in source):
        m.check_header(sorted({k for r in source for k in r}), None)
        for i, record in enumerate(source):
            m.add(f"row {i}", None, record)
    else:
        raise TypeError(f"load_dataset_rows: cannot read a {type(source).__name__}; pass a .csv "
                        "or .jsonl path, a pandas DataFrame, a datasets.Dataset (one split: "
                        "ds['train'], not the DatasetDict) or a list of dicts")
    return m.finish(blank)

