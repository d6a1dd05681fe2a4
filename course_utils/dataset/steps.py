"""Lesson 04: the curation's rule-based drop steps, one small function each.

Each step takes a list of rows and returns ``(kept, dropped)``, where ``dropped`` lists
``(row, why)``; the input rows are not modified, and the kept rows keep their order:

    drop_empty              blank user or assistant text
    drop_malformed          broken structure, or an answer that breaks its task's format
                            (see `course_utils.dataset.rows.row_problems`)
    drop_too_long           rendered conversation over `max_tokens` tokens
    drop_exact_duplicates   byte-identical rows (keeps the first)
    drop_conflicting_labels the same input with different answers (drops them all)
    drop_near_duplicates    user texts at shingle Jaccard >= 0.8, or word-set Jaccard >= 0.85
                            (keeps the first)

What this leaves out: the two steps that need more than a rule, off-task detection
(`course_utils.dataset.off_task`) and PII redaction (`course_utils.dataset.pii`), and the
order the steps run in (`course_utils.dataset.curation.curate`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Callable

from course_utils.dataset.rows import Dropped, Row, row_problems, user_text
from course_utils.dataset.textsim import NearDupIndex
from course_utils.dataset.tokens import course_token_counter, rendered_length
from course_utils.tasks import ALL_TASKS

# Word-set Jaccard at which two user texts are near duplicates: a swap or a doubled word gives
# 1.0, one word dropped from ten gives 0.9. No two clean rows of the course's raw data reach
# 0.85 (six pairs of templated posts reach 0.80).
WORD_THRESHOLD = 0.85


def drop_empty(rows: list[Row]) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop rows where a user or assistant message is blank (only whitespace)."""
    kept, dropped = [], []
    for row in rows:
        msgs = row.get("messages") if isinstance(row, dict) else None
        blank = [i for i, m in enumerate(msgs) if isinstance(m, dict) and m.get("role") != "system"
                 and isinstance(m.get("content"), str) and not m["content"].strip()] \
            if isinstance(msgs, list) else []
        if blank or msgs == []:
            dropped.append((row, f"blank text in messages {blank}" if blank else "no messages"))
        else:
            kept.append(row)
    return kept, dropped


def drop_malformed(rows: list[Row], tasks=ALL_TASKS) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop rows whose structure or answer format is wrong (see `row_problems`).

    tasks: the task names a row may carry (default: the course's tasks and "general").
    """
    kept, dropped = [], []
    for row in rows:
        probs = row_problems(row, tasks)
        if probs:
            dropped.append((row, "; ".join(probs)))
        else:
            kept.append(row)
    return kept, dropped



def drop_too_long(rows: list[Row], count_tokens: Callable[[str], int] | None = None,
                  max_tokens: int = 256) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop rows whose rendered conversation exceeds `max_tokens` tokens."""
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise ValueError(f"drop_too_long(max_tokens={max_tokens!r}): must be a positive int")
    count_tokens = count_tokens or course_token_counter()
    kept, dropped = [], []
    for row in rows:
        n = rendered_length(row, count_tokens)
        if n > max_tokens:
            dropped.append((row, f"{n} tokens > {max_tokens}"))
        else:
            kept.append(row)
    return kept, dropped



def drop_exact_duplicates(rows: list[Row]) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop rows whose task and messages equal an earlier row's exactly."""
    first, kept, dropped = {}, [], []
    for row in rows:
        key = json.dumps([row["task"], row["messages"]], sort_keys=True)
        if key in first:
            dropped.append((row, f"same as {first[key]}"))
        else:
            first[key] = row["id"]
            kept.append(row)
    return kept, dropped


def drop_conflicting_labels(rows: list[Row]) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop every row of an input that appears with different answers.

    Inputs are compared after lowercasing and collapsing whitespace. With two contradicting
    labels and no way to tell which is right, keeping either teaches the model noise.
    """
    groups = defaultdict(list)
    for row in rows:
        key = (row["task"], " ".join(user_text(row).lower().split()))
        groups[key].append(row)
    bad = {}
    for members in groups.values():
        answers = {r["messages"][-1]["content"] for r in members}
        if len(answers) > 1:
            for r in members:
                bad[r["id"]] = f"{len(answers)} different answers for this input " \
                               f"(rows {', '.join(m['id'] for m in members)})"
    kept = [r for r in rows if r["id"] not in bad]
    return kept, [(r, bad[r["id"]]) for r in rows if r["id"] in bad]


def drop_near_duplicates(rows: list[Row], threshold: float = 0.8,
                         word_threshold: float = WORD_THRESHOLD) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop rows whose user text is a near duplicate of an earlier row's (same task).

    Near duplicate: Jaccard similarity of 5-character shingles >= `threshold` (typos, case,
    punctuation), or of the sets of words >= `word_threshold` (words swapped, doubled or
    dropped, which move many shingles of a short text). MinHash LSH candidates, exact check.
    The first row of each near-duplicate group is kept.
    """
    indexes: dict[str, tuple[NearDupIndex, NearDupIndex]] = {}
    kept, dropped = [], []
    for row in rows:
        if row["task"] not in indexes:
            indexes[row["task"]] = (NearDupIndex(threshold), NearDupIndex(word_threshold, units="words"))
        by_shingles, by_words = indexes[row["task"]]
        text = user_text(row)
        hits, words = by_shingles.query(text), by_words.query(text)
        if hits:
            dropped.append((row, f"near duplicate of {hits[0][0]} (Jaccard {hits[0][1]:.2f})"))
        elif words:
            dropped.append((row, f"near duplicate of {words[0][0]} (same words in another "
                                 f"order or one changed: word Jaccard {words[0][1]:.2f})"))
        else:
            by_shingles.add(text, row["id"])
            by_words.add(text, row["id"])
            kept.append(row)
    return kept, dropped
