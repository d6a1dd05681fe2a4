"""Lesson 04: finding task rows that are really general chat (the ``off_task`` step).

A multinomial naive Bayes classifier over lowercase words and word pairs: each task's model
is fitted on the user messages being curated, the general model on reference general chat.
With equal priors, a row is off-task when its words are more likely under general chat than
under its own task. The rows being curated include the few off-task rows themselves; each row
is scored with its own words left out of its task's counts.

What this leaves out: rows that share most of their words with real task messages (a bag of
words cannot separate them; an embedding model or a reviewer can) and rows of the wrong task.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from course_utils.dataset.rows import Dropped, Row, user_text
from course_utils.tasks import GENERAL, TASKS

_WORD = re.compile(r"[a-z]+")


def _words(text: str) -> list[str]:
    """Lowercase words and word pairs: pairs carry phrases ("support hours", "how do")."""
    w = _WORD.findall(text.lower())
    return w + [f"{a} {b}" for a, b in zip(w, w[1:])]


class OffTaskClassifier:
    """Lesson 04. Multinomial naive Bayes: does a user message look like task `t` or general chat?

    Fitted on the rows being curated (each task's user messages) and on reference general chat.
    Priors are equal, so the decision is the log-likelihood ratio of the words alone. A few
    off-task rows inside a task's training text barely move its word counts.
    """

    def __init__(self, rows: list[Row], reference: list[Row], alpha: float = 1.0):
        self.alpha = alpha
        self.counts: dict[str, Counter] = defaultdict(Counter)
        for row in rows:
            if isinstance(row, dict) and row.get("task") in TASKS:
                self.counts[row["task"]].update(_words(user_text(row)))
        general = Counter()
        for row in reference:
            general.update(_words(user_text(row)))
        if not general:
            raise ValueError("OffTaskClassifier: `reference` holds no general chat text; pass "
                             "general rows, e.g. course_utils.dataset.load.load_general()")
        self.counts[GENERAL] = general
        self.vocab = len(set().union(*self.counts.values()))
        self.totals = {k: sum(c.values()) for k, c in self.counts.items()}

    def _loglik(self, cls: str, words: list[str], minus: Counter | None = None) -> float:
        c, tot = self.counts[cls], self.totals[cls]
        minus = minus or Counter()
        denom = math.log(tot - sum(minus.values()) + self.alpha * self.vocab)
        return sum(math.log(c[w] - minus[w] + self.alpha) - denom for w in words)

    def score(self, row: Row) -> float:
        """log P(words | general) - log P(words | own task): > 0 means off-task.

        Leave-one-out: the row's own words are taken out of its task's counts first, or a
        rare off-task word would count as evidence for the task it was found in.
        """
        words = _words(user_text(row))
        task = row.get("task")
        if not words or task not in self.counts or task == GENERAL:
            return float("-inf")
        return self._loglik(GENERAL, words) - self._loglik(task, words, Counter(words))


def drop_off_task(rows: list[Row], reference: list[Row], *, margin: float = 0.0
                  ) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop task rows whose user text looks more like general chat than the task.

    reference: general chat rows (e.g. `course_utils.dataset.load.load_general()`). margin: how much
    more likely (log-odds per word) general must be before a row is dropped.
    """
    clf = OffTaskClassifier(rows, reference)
    kept, dropped = [], []
    for row in rows:
        s = clf.score(row)
        if s > margin:
            dropped.append((row, f"looks like general chat (log-odds {s:+.1f})"))
        else:
            kept.append(row)
    return kept, dropped
