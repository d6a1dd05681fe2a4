"""Lesson 04: loading the course's datasets, with errors that name the file, line and field.

Nothing is skipped silently: a byte that is not UTF-8, a line that is not JSON (or JSON that
`json.loads` would accept with a silent loss: a key twice, NaN), a missing field or a value of
the wrong type stops the load with a `course_utils.errors.DataFileError` such as

    data/tasks/train.jsonl, line 12, field 'messages[1].content': expected a string, got int (42).

The loaders:

    load_jsonl(path)        any JSON Lines file -> list of objects (JSON errors only)
    load_rows(path)         a clean dataset: every row checked (fields, types, answer format)
    load_raw(path)          the raw, defective data: only checks each line is an object with an id
    load_split(name)        "train", "validation", "test", "test_shifted", "test_facts_v2"
    load_general()          general chat rows to mix in
    load_truth(), load_facts(version)

What this leaves out: writing the files (`course_utils.dataset.build`) and judging the rows'
content (duplicates, PII, off-task text: that is the curation's job).
"""

from __future__ import annotations

from pathlib import Path

from course_utils.files import parse_json, read_text
from course_utils.dataset.rows import ROLES
from course_utils.errors import DataFileError
from course_utils.paths import data_path
from course_utils.tasks import ALL_TASKS, answer_problems

TASKS_DIR = data_path("tasks")
SPLIT_FILES = {
    "train": "train.jsonl",
    "validation": "validation.jsonl",
    "test": "test.jsonl",
    "test_shifted": "test_shifted.jsonl",
    "test_facts_v2": "test_facts_v2.jsonl",
    "general": "general.jsonl",
}
REBUILD_HINT = "rebuild the course data with `python -m course_utils.dataset.build --out data/tasks`"


def _read(path) -> list[tuple[int, object]]:
    path = Path(path)
    text = read_text(path, hint=f"check the path, or {REBUILD_HINT}")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            raise DataFileError(path, n, None, "blank line; JSON Lines holds one JSON object per "
                                              "line (delete the blank line)")
        out.append((n, parse_json(line, path, n)))
    return out


def load_jsonl(path) -> list:
    """Lesson 04. Read a JSON Lines file: one JSON value per line, errors name file and line."""
    return [obj for _, obj in _read(path)]


def _type_name(v) -> str:
    return "null" if v is None else type(v).__name__


def _need(path, line, field, value, kind, kind_name):
    if not isinstance(value, kind) or isinstance(value, bool):
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise DataFileError(path, line, field, f"expected {kind_name}, got {_type_name(value)} ({shown}).")


def check_row(row, path="<rows>", line: int | None = None, *, check_answer: bool = True) -> None:
    """Lesson 04. Raise `DataFileError` for the first problem of one clean dataset row.

    Fields: ``id`` (string), ``task`` (one of the course's tasks or "general"),
    ``messages`` (list of {"role", "content"} objects: optional system, then user/assistant
    alternating, ending with the assistant) and optional ``meta`` (object). With
    `check_answer`, the final answer must also fit its task's format.
    """
    if not isinstance(row, dict):
        raise DataFileError(path, line, None, f"expected a JSON object, got {_type_name(row)}.")
    for name in ("id", "task", "messages"):
        if name not in row:
            raise DataFileError(path, line, name, f"missing; every row needs 'id', 'task' and "
                                                 f"'messages' (it has {sorted(row)}).")
    _need(path, line, "id", row["id"], str, "a string")
    _need(path, line, "task", row["task"], str, "a string")
    if row["task"] not in ALL_TASKS:
        raise DataFileError(path, line, "task", f"{row['task']!r} is not one of {list(ALL_TASKS)}.")
    _need(path, line, "messages", row["messages"], list, "a list of messages")
    if "meta" in row:
        _need(path, line, "meta", row["meta"], dict, "an object")
    msgs = row["messages"]
    if not msgs:
        raise DataFileError(path, line, "messages", "is empty; a row needs a user and an assistant message.")
    for i, m in enumerate(msgs):
        _need(path, line, f"messages[{i}]", m, dict, "an object with 'role' and 'content'")
        for k in ("role", "content"):
            if k not in m:
                raise DataFileError(path, line, f"messages[{i}].{k}", "missing.")
        _need(path, line, f"messages[{i}].role", m["role"], str, "a string")
        if m["role"] not in ROLES:
            raise DataFileError(path, line, f"messages[{i}].role",
                               f"{m['role']!r} is not one of {list(ROLES)}.")
        _need(path, line, f"messages[{i}].content", m["content"], str, "a string")
    roles = [m["role"] for m in msgs]
    body = roles[1:] if roles[0] == "system" else roles
    if not body or body[-1] != "assistant" or body != (["user", "assistant"] * len(body))[:len(body)]:
        raise DataFileError(path, line, "messages", f"roles {roles}: expected [system], user, "
                                                   "assistant, ... ending with assistant.")
    if check_answer:
        probs = answer_problems(row["task"], msgs[-1]["content"])
        if probs:
            raise DataFileError(path, line, f"messages[{len(msgs) - 1}].content", probs[0] + ".")


def load_rows(path, *, check_answers: bool = True) -> list[dict]:
    """Lesson 04. Load a clean dataset (a split, the general pool): every row is checked."""
    rows = []
    for line, obj in _read(path):
        check_row(obj, path, line, check_answer=check_answers)
        rows.append(obj)
    return rows


def load_raw(path=None) -> list[dict]:
    """Lesson 04. Load the raw, defective data: each line must be an object with a string id.

    Nothing else is checked here (finding the rest is the curation's job).
    """
    path = Path(path) if path is not None else TASKS_DIR / "raw.jsonl"
    rows = []
    for line, obj in _read(path):
        if not isinstance(obj, dict):
            raise DataFileError(path, line, None, f"expected a JSON object, got {_type_name(obj)}.")
        if "id" not in obj:
            raise DataFileError(path, line, "id", "missing; every raw row needs an id.")
        _need(path, line, "id", obj["id"], str, "a string")
        rows.append(obj)
    return rows


def load_split(name: str, tasks_dir=None) -> list[dict]:
    """Lesson 04 (and 05-07). One of the committed datasets by name (see `SPLIT_FILES`)."""
    if name not in SPLIT_FILES:
        raise ValueError(f"load_split({name!r}): unknown split; choose from {list(SPLIT_FILES)}")
    return load_rows(Path(tasks_dir or TASKS_DIR) / SPLIT_FILES[name])


def load_general(tasks_dir=None) -> list[dict]:
    """Lesson 04. The general chat rows to mix with task data (`data/tasks/general.jsonl`)."""
    return load_split("general", tasks_dir)


def load_truth(path=None) -> dict:
    """Lesson 04. The ground truth of the injected defects (`data/tasks/raw_truth.json`)."""
    path = Path(path) if path is not None else TASKS_DIR / "raw_truth.json"
    truth = parse_json(read_text(path, hint=REBUILD_HINT), path)
    if not isinstance(truth, dict):
        raise DataFileError(path, None, None, f"expected a JSON object, got {_type_name(truth)}.")
    for k in ("drop", "transform"):
        if not isinstance(truth.get(k), dict):
            raise DataFileError(path, None, k, "missing or not an object.")
    return truth


def load_facts(version: int = 1, tasks_dir=None) -> list[dict]:
    """Lesson 04 (and 06). The fact table v1 or v2: [{"id", "text", "value"}]."""
    if version not in (1, 2):
        raise ValueError(f"load_facts(version={version!r}): choose 1 or 2")
    path = Path(tasks_dir or TASKS_DIR) / f"facts_v{version}.json"
    facts = parse_json(read_text(path, hint=REBUILD_HINT), path)
    if not isinstance(facts, list):
        raise DataFileError(path, None, None, f"expected a JSON list of facts, got {_type_name(facts)}.")
    for i, f in enumerate(facts):
        for k in ("id", "text", "value"):
            if not isinstance(f, dict) or not isinstance(f.get(k), str):
                raise DataFileError(path, None, f"[{i}].{k}", "missing or not a string.")
    return facts
