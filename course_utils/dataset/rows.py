"""Lesson 04: what a dataset row is, and what makes one well formed.

A row is a dict::

    {"id": "triage-00042", "task": "triage", "meta": {...},
     "messages": [{"role": "system", "content": ...},      # optional
                  {"role": "user", "content": ...},
                  {"role": "assistant", "content": ...}]}   # user/assistant alternate

`user_text` reads the user's turns of any row (broken ones included), which is what the
similarity checks compare; `row_problems` lists everything wrong with one row, which is what
the curation's `drop_malformed` step reports.

What this leaves out: the loaders' checks, which stop at the first problem and name the file,
line and field (`course_utils.dataset.load.check_row`), and the answer formats of the tasks
(`course_utils.tasks.answer_problems`).
"""

from __future__ import annotations

from course_utils.tasks import ALL_TASKS, answer_problems

Row = dict
Dropped = list  # list[tuple[Row, str]]: each dropped row with the reason
ROLES = ("system", "user", "assistant")


def user_text(row: dict) -> str:
    """Lesson 04. The user turns of a row joined by newlines (what similarity is measured on).

    Tolerant of malformed rows: anything that is not a user message with string content is
    ignored, so a broken row yields "" instead of raising.
    """
    msgs = row.get("messages") if isinstance(row, dict) else None
    if not isinstance(msgs, list):
        return ""
    return "\n".join(m["content"] for m in msgs
                     if isinstance(m, dict) and m.get("role") == "user"
                     and isinstance(m.get("content"), str))


def row_problems(row, tasks=ALL_TASKS) -> list[str]:
    """Lesson 04. Structural and format problems of one row ([] when it is well formed).

    A row is a dict with a string ``id``, a ``task`` from `tasks` (the course's tasks unless
    told otherwise: your own data brings its own task names), and ``messages``: an optional
    system message, then user/assistant turns alternating, ending with the assistant; every
    ``content`` a string. The last answer must fit its task's format (the course's tasks have
    one; other tasks' answers are free text).
    """
    if not isinstance(row, dict):
        return [f"row is a {type(row).__name__}, not an object"]
    probs = []
    if not isinstance(row.get("id"), str):
        probs.append("'id' missing or not a string")
    task = row.get("task")
    if task not in tasks:
        probs.append(f"'task' is {task!r}, not one of {tuple(tasks)}")
    msgs = row.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return probs + ["'messages' missing or not a non-empty list"]
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            return probs + [f"messages[{i}] is not an object"]
        if m.get("role") not in ROLES:
            probs.append(f"messages[{i}].role is {m.get('role')!r}, not system/user/assistant")
        if not isinstance(m.get("content"), str):
            probs.append(f"messages[{i}].content is {type(m.get('content')).__name__}, not a string")
    if probs:
        return probs
    roles = [m["role"] for m in msgs]
    body = roles[1:] if roles[0] == "system" else roles
    expected = ["user", "assistant"] * (len(body) // 2 + 1)
    if not body or body != expected[:len(body)] or body[-1] != "assistant":
        return [f"roles {roles} are not [system], user, assistant, ... ending with assistant"]
    return answer_problems(task, msgs[-1]["content"])
