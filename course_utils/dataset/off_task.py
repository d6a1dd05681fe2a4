"""Lesson 04: finding task rows that are really general chat (the ``off_task`` step), with a score
that says how sure the check is.

Two numbers per task row, from character n-gram TF-IDF vectors (`course_utils.dataset.tfidf`):

    task similarity     mean cosine of the row's 5 nearest rows of the *same task* (itself and
                        exact copies left out): how much it reads like the task
    general similarity  mean cosine of its 5 nearest *general chat* texts: the general rows
                        given as `reference` plus `data/general_requests.txt`, a short
                        hand-written list of everyday requests in many registers

The off-task score is general similarity minus task similarity. A row is dropped when the score
is above `THRESHOLD` (-0.05): a row must read more like its task than like general chat, by a
margin of 0.05, to stay. How sure: rows whose score lies within `BORDERLINE` of the threshold
are marked borderline (worth a human look); the rest are clear.

Why this works on text it has never seen: a task is narrow (a shop's inbox repeats its
products, orders and policies), general chat is broad. A question about sourdough shares almost
no pieces of words with the inbox, and shares its everyday pieces ("what", "should I", " bake")
with general requests; the difference carries the decision even when both similarities are low.
The threshold was set on the course's training split and on off-task questions written in
other registers (tests/dataset/test_generalisation.py measures both).

It needs a few hundred rows per task: a row is compared with its task's other rows, and with
too few of them real rows at the task's edges read as general chat (`FEW_TASK_ROWS`; each
reason says when a task is that small). A task with fewer than `MIN_TASK_ROWS` rows is not
scored at all.

What this leaves out: rows that use a task's words for another purpose ("which pension provider
would you recommend?" shares "recommend" with product questions), rows of the wrong task, and
meaning beyond shared pieces of words; those need an embedding model or a reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_utils.files import read_text
from course_utils.dataset.rows import Dropped, Row, user_text
from course_utils.dataset.tfidf import TfidfVectors, nearest_similarity
from course_utils.paths import data_path
from course_utils.tasks import GENERAL

THRESHOLD = -0.05
BORDERLINE = 0.05
NEIGHBOURS = 5
MIN_TASK_ROWS = 2 * NEIGHBOURS
# Below this many rows a task's own rows are sparse: real rows at its edges read as general
# chat more often (measured on the course's tasks: 3-10 % of rows dropped at 100 rows per task,
# 0-2 % at 250, at most 1 in 600 at 600-1,000).
FEW_TASK_ROWS = 300
GENERAL_REQUESTS = data_path("general_requests.txt")


def general_requests(path=None) -> list[str]:
    """Lesson 04. The everyday requests of `data/general_requests.txt` ('#' lines are comments)."""
    text = read_text(path or GENERAL_REQUESTS, hint="it ships with the course in data/")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


@dataclass(frozen=True)
class OffTaskScore:
    """Lesson 04. One task row's off-task check: both similarities, the score and the verdict."""

    id: object
    task: str
    text: str
    task_similarity: float
    general_similarity: float
    nearest_task: str        # the most similar other row of the task
    nearest_general: str     # the most similar general text
    threshold: float
    task_rows: int           # rows of the task it was compared with (itself included)

    @property
    def score(self) -> float:
        """General similarity minus task similarity: above the threshold means off-task."""
        return self.general_similarity - self.task_similarity

    @property
    def off_task(self) -> bool:
        return self.score > self.threshold

    @property
    def borderline(self) -> bool:
        """Within `BORDERLINE` of the threshold, on either side: worth a human look."""
        return abs(self.score - self.threshold) < BORDERLINE

    def why(self) -> str:
        side = "reads like general chat" if self.off_task else "reads like its task"
        few = (f"; only {self.task_rows - 1} other rows of this task to compare with, so less sure"
               if self.task_rows < FEW_TASK_ROWS else "")
        return (f"{side}: general {self.general_similarity:.2f} vs task "
                f"{self.task_similarity:.2f}, score {self.score:+.2f} (threshold "
                f"{self.threshold:+.2f}, {'borderline' if self.borderline else 'clear'}{few})")


def off_task_scores(rows: list[Row], reference: list[Row], *, threshold: float = THRESHOLD,
                    general_texts: list[str] | None = None) -> list[OffTaskScore]:
    """Lesson 04. The off-task check of every task row, in the order of `rows`.

    rows: the rows being curated; each is compared with the other rows of its task. reference:
    general chat rows. general_texts: more general text (default: `general_requests()`).
    General rows, rows without user text and tasks with fewer than `MIN_TASK_ROWS` rows get no
    score (they are not in the list).
    """
    scores = _scores_by_index(rows, reference, threshold, general_texts)
    return [scores[i] for i in sorted(scores)]


def drop_off_task(rows: list[Row], reference: list[Row], *, threshold: float = THRESHOLD,
                  general_texts: list[str] | None = None) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop task rows that read more like general chat than like their task.

    reference: general chat rows (e.g. `course_utils.dataset.load.load_general()`); threshold:
    the off-task score above which a row is dropped. Each dropped row's reason gives both
    similarities, the score, and whether it is clear or borderline.
    """
    scores = _scores_by_index(rows, reference, threshold, general_texts)
    kept, dropped = [], []
    for i, row in enumerate(rows):
        if i in scores and scores[i].off_task:
            dropped.append((row, scores[i].why()))
        else:
            kept.append(row)
    return kept, dropped


def _scores_by_index(rows, reference, threshold, general_texts) -> dict[int, OffTaskScore]:
    general = [user_text(r) for r in reference]
    general += general_requests() if general_texts is None else list(general_texts)
    general = sorted({g for g in general if g.strip()})
    if not general:
        raise ValueError("off_task_scores: `reference` holds no general chat text; pass general "
                         "rows, e.g. course_utils.dataset.load.load_general()")
    by_task: dict[str, list[tuple[int, str]]] = {}
    for i, row in enumerate(rows):
        task = row.get("task") if isinstance(row, dict) else None
        text = user_text(row)
        if isinstance(task, str) and task != GENERAL and text.strip():
            by_task.setdefault(task, []).append((i, text))
    by_task = {t: members for t, members in by_task.items() if len(members) >= MIN_TASK_ROWS}
    vectors = TfidfVectors([text for ms in by_task.values() for _, text in ms] + general)
    xg = vectors.transform(general)
    out = {}
    for task, members in by_task.items():
        xt = vectors.transform([text for _, text in members])
        t_sim, t_best = nearest_similarity(xt, xt, NEIGHBOURS)
        g_sim, g_best = nearest_similarity(xt, xg, NEIGHBOURS)
        for j, (i, text) in enumerate(members):
            out[i] = OffTaskScore(rows[i].get("id"), task, text, float(t_sim[j]), float(g_sim[j]),
                                  members[t_best[j]][1] if t_best[j] >= 0 else "",
                                  general[g_best[j]] if g_best[j] >= 0 else "", threshold,
                                  len(members))
    return out
