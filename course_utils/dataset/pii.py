"""Lesson 04: redacting personal data (the ``pii_redacted`` step): e-mail addresses, IBANs,
payment card numbers, IPv4 addresses and phone numbers.

A transformation, not a drop: the row stays and each match becomes its placeholder, counted
per kind. Each kind is a pattern *and* a check, so that look-alikes are left alone:

    kind    placeholder  a match counts when
    email   [EMAIL]      it has the shape name@domain.tld
    iban    [IBAN]       2 letters, 2 check digits, 11-30 letters/digits (spaces allowed every
                         4), and the ISO 13616 mod-97 check gives 1
    card    [CARD]       13-19 digits (spaces or dashes between groups) that pass the Luhn check
    ip      [IP]         four numbers 0-255 joined by dots
    phone   [PHONE]      digit groups (optional +country, (area)) with 9 to 15 digits in all

The order matters: IBANs and card numbers are long digit runs a phone pattern would also eat,
so they are taken first. Order ids (``ORD-12345``), prices, dates, times and three-part
version numbers never match; a 16-digit reference that fails the Luhn check is left alone (so
1 in 10 random 16-digit references is taken for a card: the check cannot do better).

Library or own code? Checked offline, with ``pip download`` only: ``presidio-analyzer``
(Microsoft, maintained, Luhn- and IBAN-checked recognisers) needs spaCy and a spaCy language
model downloaded from a model hub before it analyses anything, which a course that must run
offline cannot require; ``scrubadub`` 2.0.1 (last release 2023) pins ``textblob==0.15.3``,
pulls in scikit-learn, and its card pattern misses numbers written with spaces or dashes (its
own source says so) and has no IBAN detector. Five patterns and two checksums (a dozen lines)
are short enough to read in the lesson, so the course keeps its own; for production text, add
Presidio with a named-entity model, which also finds names and addresses.

What this leaves out: names, street addresses, dates of birth, national ids, and anything
written in words ("four one one one ..."); e-mails written as "name at example dot com";
four-part version numbers look like IPv4 addresses and are redacted.
"""

from __future__ import annotations

import re
from collections import Counter

from course_utils.dataset.rows import Row

PLACEHOLDERS = {"email": "[EMAIL]", "iban": "[IBAN]", "card": "[CARD]", "ip": "[IP]",
                "phone": "[PHONE]"}

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Country code, check digits, then the account in groups of up to 4 (spaces optional). The match
# may run on into following capitals ("... 32 THANKS"); `_iban` keeps its longest valid prefix.
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b")
# 13-19 digits in one block, in groups of 4 (4-4-4-4, 4-4-4-4-3...) or Amex's 4-6-5, the groups
# separated by one space or dash.
CARD_RE = re.compile(r"(?<![\w+-])(?:\d{13,19}|\d{4}(?:([ -])\d{4}){2}(?:\1\d{4})?(?:\1\d{1,3})?"
                     r"|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-])")
IPV4_RE = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                     r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d)")
# A phone candidate: +country and 8-14 digits in one block, or digit groups separated by space,
# dot or dash with an optional +country and (area). Kept only with 9-15 digits and no date
# inside, so order ids (ORD-12345), prices and "2024-05-01 10" never match.
PHONE_RE = re.compile(r"(?<![\w+-])(?:\+\d{8,14}|(?:\+\d{1,3}[ .-]?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}"
                      r"|(?:\(\d{1,5}\)[ .-]?)?\d{2,5})(?:[ .-]\d{2,6}){1,4})(?![\w-])")
DATE_RE = re.compile(r"\d{4}[-./]\d{2}[-./]\d{2}|\d{2}[-./]\d{2}[-./]\d{4}")


def luhn_valid(digits: str) -> bool:
    """Lesson 04. The Luhn check of a payment card number (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """Lesson 04. The ISO 13616 check: move the first four characters to the end, letters to
    numbers (A=10 ... Z=35); the number mod 97 must be 1."""
    code = iban.replace(" ", "").upper()
    if not (15 <= len(code) <= 34 and code[:2].isalpha() and code[2:4].isdigit() and code.isalnum()):
        return False
    return int("".join(str(int(ch, 36)) for ch in code[4:] + code[:4])) % 97 == 1


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _iban(match: str) -> int:
    """Length of the longest prefix of `match` (ending at a group) that is a valid IBAN, or 0."""
    ends = [m.end() for m in re.finditer(r"[A-Z0-9]+", match)]
    for end in reversed(ends):
        for cut in range(end, max(end - 4, 0), -1):  # a compact IBAN has no group ends inside
            if iban_valid(match[:cut]):
                return cut
    return 0


# kind -> (pattern, length of the part of the match that is PII: 0 none, len(match) all)
DETECTORS = {
    "email": (EMAIL_RE, len),
    "iban": (IBAN_RE, _iban),
    "card": (CARD_RE, lambda s: len(s) if 13 <= len(_digits(s)) <= 19 and luhn_valid(_digits(s)) else 0),
    "ip": (IPV4_RE, len),
    "phone": (PHONE_RE, lambda s: len(s) if 9 <= len(_digits(s)) <= 15 and not DATE_RE.search(s) else 0),
}


def redact_text(text: str) -> tuple[str, Counter]:
    """Lesson 04. Replace e-mails, IBANs, card numbers, IPv4 addresses and phone numbers with
    their placeholders ([EMAIL], [IBAN], [CARD], [IP], [PHONE]); count each kind."""
    found = Counter()
    for kind, (pattern, pii_length) in DETECTORS.items():
        def sub(m, kind=kind, pii_length=pii_length):
            n = pii_length(m.group(0))
            if n:
                found[kind] += 1
                return PLACEHOLDERS[kind] + m.group(0)[n:]
            return m.group(0)

        text = pattern.sub(sub, text)
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
