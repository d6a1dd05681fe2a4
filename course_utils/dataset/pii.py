"""Lesson 04: redacting e-mail addresses and phone numbers (the ``pii_redacted`` step).

A transformation, not a drop: the row stays and the match becomes ``[EMAIL]`` or ``[PHONE]``.
Phone candidates are runs of digit groups; only those with 9 to 15 digits count, so order ids
(``ORD-12345``), prices and dates are left alone.

What this leaves out: names, street addresses, card and account numbers, and numbers written
in words; a production pipeline adds a named-entity model or a service such as Presidio.
"""

from __future__ import annotations

import re
from collections import Counter

from course_utils.dataset.rows import Row

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A phone candidate: optional +country, digits in groups separated by space, dot or dash,
# optional (area). Kept only with 9-15 digits, so order ids (ORD-12345) and prices never match.
PHONE_RE = re.compile(r"(?<![\w-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,5}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,6}){1,4}(?![\w-])")


def redact_text(text: str) -> tuple[str, Counter]:
    """Lesson 04. Replace e-mails with [EMAIL] and phone numbers with [PHONE]; count each."""
    found = Counter()

    def email(m):
        found["email"] += 1
        return "[EMAIL]"

    def phone(m):
        digits = sum(ch.isdigit() for ch in m.group(0))
        if 9 <= digits <= 15:
            found["phone"] += 1
            return "[PHONE]"
        return m.group(0)

    text = EMAIL_RE.sub(email, text)
    text = PHONE_RE.sub(phone, text)
    return text, found


def redact_pii(rows: list[Row]) -> tuple[list[Row], list[tuple[Row, str]]]:
    """Lesson 04. A transformation: redact PII in every message. Returns (rows, changed).

    `changed` lists (original row, what was redacted) for the rows that changed; the input
    rows are not modified.
    """
    out, changed = [], []
    for row in rows:
        found, msgs = Counter(), []
        for m in row["messages"]:
            text, c = redact_text(m["content"])
            found += c
            msgs.append({**m, "content": text})
        if found:
            changed.append((row, ", ".join(f"{n} {k}" for k, n in sorted(found.items()))))
            row = {**row, "messages": msgs}
        out.append(row)
    return out, changed
