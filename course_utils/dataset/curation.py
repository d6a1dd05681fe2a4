"""Lesson 04: a data curation pipeline that reports what it removed, step by step.

Each step is a small function over a list of rows (dicts with ``id``, ``task``, ``messages``):

    drop_empty          blank user or assistant text
    drop_malformed      broken structure, or an answer that breaks its task's format/schema
    drop_off_task       inputs that look like general chat rather than the task
                        (a naive Bayes classifier: the task's rows vs general chat rows)
    drop_too_long       rendered conversation over `max_tokens` tokens of the course tokenizer
    redact_pii          e-mail addresses and phone numbers -> [EMAIL] / [PHONE] (a transformation)
    drop_exact_duplicates   byte-identical rows (keeps the first)
    drop_conflicting_labels the same input with different answers (drops them all: which is right?)
    drop_near_duplicates    MinHash LSH over 5-character shingles of the user text, verified
                            with exact Jaccard (keeps the first)

`curate` runs them in that order and returns the kept rows and a `CurationReport`; `split`
makes train/validation/test with no near duplicate crossing splits; `mix` blends in general
chat at a chosen ratio; `check_size` warns when a curated set is too small to bother.

Each drop step returns ``(kept, dropped)`` where ``dropped`` is a list of ``(row, why)``.
Order matters: a row is counted under the first step that drops it.

What this leaves out: semantic duplicates (same meaning, different words) need embeddings;
label *errors* that are consistent (always wrong the same way) need a model or a human.
"""

from __future__ import annotations

import json
import math
import re
import time
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

from course_utils.dataset.datagen import DROP_REASONS, user_text
from course_utils.tasks import MODERATION_LABELS, SYSTEM_PROMPTS, TASKS, answer_problems
from course_utils.paths import TINY_MODEL_DIR, data_path

Row = dict
Dropped = list  # list[tuple[Row, str]]

# --------------------------------------------------------------------------------------------
# Similarity: shingles, exact Jaccard, and a MinHash LSH index that verifies its candidates.
SHINGLE_K = 5
NUM_PERM = 128


def normalize_text(text: str) -> str:
    """Lesson 04. Lowercase; every run of non-alphanumeric characters becomes one space."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def shingles(text: str, k: int = SHINGLE_K) -> frozenset:
    """Lesson 04. The set of k-character substrings of the normalised text."""
    t = normalize_text(text)
    if len(t) <= k:
        return frozenset([t]) if t else frozenset()
    return frozenset(t[i:i + k] for i in range(len(t) - k + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """Lesson 04. |a ∩ b| / |a ∪ b| (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@lru_cache(maxsize=32)
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    # subtle: datasketch finds (bands, rows) by numerical integration (~0.1 s); do it once.
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


class NearDupIndex:
    """Lesson 04. Find earlier texts whose shingle Jaccard with a new text is >= `threshold`.

    MinHash LSH (datasketch) proposes candidates at a looser threshold; each candidate is then
    checked with the exact Jaccard, so every reported pair is real and misses are rare
    (a pair at the threshold is missed with probability < 1e-4 with the default settings).
    """

    def __init__(self, threshold: float = 0.8, *, k: int = SHINGLE_K, num_perm: int = NUM_PERM):
        from datasketch import MinHash, MinHashLSH

        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"NearDupIndex(threshold={threshold!r}): must lie in (0, 1]")
        self.threshold, self.k = threshold, k
        # Candidates at 0.25 below the threshold: a pair at the threshold collides in at least
        # one LSH band with probability > 0.9999 (the S-curve 1 - (1 - J^r)^b).
        self._lsh = MinHashLSH(num_perm=num_perm,
                               params=_lsh_params(max(0.1, threshold - 0.25), num_perm))
        self._base = MinHash(num_perm=num_perm)
        self._MinHash = MinHash
        self._sets: dict[str, frozenset] = {}
        self._last = None

    def _minhash(self, sh: frozenset):
        m = self._MinHash(num_perm=len(self._base.permutations[0]),
                          permutations=self._base.permutations, scheme=self._base.scheme)
        m.update_batch([s.encode("utf-8") for s in sorted(sh)])
        return m

    def _sketch(self, text: str):
        # subtle: query() then add() of the same text is the common pattern; hash it once.
        if self._last is None or self._last[0] != text:
            sh = shingles(text, self.k)
            self._last = (text, sh, self._minhash(sh))
        return self._last[1], self._last[2]

    def query(self, text: str) -> list[tuple[str, float]]:
        """Keys of added texts at or above the threshold, with their Jaccard, best first."""
        if not self._sets:
            return []
        sh, mh = self._sketch(text)
        found = []
        for key in self._lsh.query(mh):
            j = jaccard(sh, self._sets[key])
            if j >= self.threshold:
                found.append((key, j))
        return sorted(found, key=lambda kj: (-kj[1], kj[0]))

    def add(self, text: str, key: str | None = None) -> str:
        """Index a text under `key` (default: its position). Returns the key."""
        key = str(len(self._sets)) if key is None else key
        if key in self._sets:
            raise ValueError(f"NearDupIndex.add: key {key!r} was added before; keys must be unique")
        sh, mh = self._sketch(text)
        self._sets[key] = sh
        self._lsh.insert(key, mh)
        return key


def similar_pairs(texts: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """Lesson 04. All pairs (i, j, jaccard) with i < j and shingle Jaccard >= threshold."""
    index = NearDupIndex(threshold)
    pairs = []
    for j, t in enumerate(texts):
        pairs += [(int(i), j, s) for i, s in index.query(t)]
        index.add(t, str(j))
    return sorted(pairs)


def groups_of(n: int, pairs: Iterable[tuple[int, int, float]]) -> list[list[int]]:
    """Lesson 04. Connected components (union-find) of items 0..n-1 linked by `pairs`."""
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, *_ in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    comps = defaultdict(list)
    for i in range(n):
        comps[find(i)].append(i)
    return [comps[r] for r in sorted(comps)]


# --------------------------------------------------------------------------------------------
# Format checks: the answer checks themselves live in course_utils.tasks.


def row_problems(row) -> list[str]:
    """Lesson 04. Structural and format problems of one row ([] when it is well formed).

    A row is a dict with a string ``id``, a ``task`` from the course's tasks, and ``messages``:
    an optional system message, then user/assistant turns alternating, ending with the
    assistant; every ``content`` a string. The last answer must fit its task's format.
    """
    if not isinstance(row, dict):
        return [f"row is a {type(row).__name__}, not an object"]
    probs = []
    if not isinstance(row.get("id"), str):
        probs.append("'id' missing or not a string")
    task = row.get("task")
    if task not in TASKS + ("general",):
        probs.append(f"'task' is {task!r}, not one of {TASKS + ('general',)}")
    msgs = row.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return probs + ["'messages' missing or not a non-empty list"]
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            return probs + [f"messages[{i}] is not an object"]
        if m.get("role") not in ("system", "user", "assistant"):
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


# --------------------------------------------------------------------------------------------
# The steps.
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


def drop_malformed(rows: list[Row]) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop rows whose structure or answer format is wrong (see `row_problems`)."""
    kept, dropped = [], []
    for row in rows:
        probs = row_problems(row)
        if probs:
            dropped.append((row, "; ".join(probs)))
        else:
            kept.append(row)
    return kept, dropped


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
        self.counts["general"] = general
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
        if not words or task not in self.counts or task == "general":
            return float("-inf")
        return self._loglik("general", words) - self._loglik(task, words, Counter(words))


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


@lru_cache(maxsize=4)
def _load_tokenizer(path: str):
    from tokenizers import Tokenizer  # light: no torch, no transformers

    return Tokenizer.from_file(path)


def course_token_counter(path=None) -> Callable[[str], int]:
    """Lesson 04. count_tokens(text) with the course tokenizer (`data/tiny_model/tokenizer.json`)."""
    from pathlib import Path

    path = Path(path) if path is not None else TINY_MODEL_DIR / "tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"course tokenizer not found at {path}; build the tiny model with "
            "`python -m course_utils.model.tiny.build`, or pass count_tokens= (any str -> int function)")
    tok = _load_tokenizer(str(path))
    return lambda text: len(tok.encode(text, add_special_tokens=False).ids)


def rendered_length(row: Row, count_tokens: Callable[[str], int]) -> int:
    """Lesson 04. Tokens of the row rendered with the course's chat template."""
    from course_utils.dataset.chat_format import render_chatml

    return count_tokens(render_chatml(row["messages"]))


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


def drop_near_duplicates(rows: list[Row], threshold: float = 0.8) -> tuple[list[Row], Dropped]:
    """Lesson 04. Drop rows whose user text is a near duplicate of an earlier row's (same task).

    Near duplicate: Jaccard similarity of 5-character shingles >= `threshold` (MinHash LSH
    candidates, exact check). The first row of each near-duplicate group is kept.
    """
    indexes: dict[str, NearDupIndex] = {}
    kept, dropped = [], []
    for row in rows:
        if row["task"] not in indexes:
            indexes[row["task"]] = NearDupIndex(threshold)
        index = indexes[row["task"]]
        text = user_text(row)
        hits = index.query(text)
        if hits:
            dropped.append((row, f"near duplicate of {hits[0][0]} (Jaccard {hits[0][1]:.2f})"))
        else:
            index.add(text, row["id"])
            kept.append(row)
    return kept, dropped


# --------------------------------------------------------------------------------------------
@dataclass
class CurationReport:
    """Lesson 04. What `curate` did: per reason and per transformation, ids, reasons and examples."""

    n_in: int
    n_kept: int = 0
    dropped: dict = field(default_factory=dict)       # reason -> [(id, why)]
    transformed: dict = field(default_factory=dict)   # name -> [(id, what)]
    examples: dict = field(default_factory=dict)      # reason -> [row before the step]
    steps: list = field(default_factory=list)         # [{"step", "rows_in", "rows_out", "seconds"}]
    warnings: list = field(default_factory=list)

    def ids(self, reason: str) -> list[str]:
        """Ids dropped for `reason` (or transformed by it)."""
        if reason in self.dropped:
            return [i for i, _ in self.dropped[reason]]
        if reason in self.transformed:
            return [i for i, _ in self.transformed[reason]]
        raise KeyError(f"unknown reason {reason!r}; the report has "
                       f"{sorted(self.dropped) + sorted(self.transformed)}")

    def counts(self) -> dict[str, int]:
        """Rows per drop reason and per transformation."""
        return {**{r: len(v) for r, v in self.dropped.items()},
                **{t: len(v) for t, v in self.transformed.items()}}

    def table(self) -> str:
        """A plain-text table: step, rows in, rows out, dropped or changed."""
        lines = [f"{'step':<20}{'rows in':>9}{'rows out':>10}{'affected':>10}"]
        for s in self.steps:
            lines.append(f"{s['step']:<20}{s['rows_in']:>9}{s['rows_out']:>10}{s['affected']:>10}")
        lines.append(f"{'kept':<20}{self.n_in:>9}{self.n_kept:>10}")
        return "\n".join(lines)

    def to_dict(self, examples: int = 2) -> dict:
        """JSON-ready summary: counts, steps, a few examples per reason."""
        return {"n_in": self.n_in, "n_kept": self.n_kept, "counts": self.counts(),
                "steps": [{k: v for k, v in s.items() if k != "seconds"} for s in self.steps],
                "examples": {r: [{"id": row.get("id"), "why": why} for row, why in ex[:examples]]
                             for r, ex in self.examples.items()},
                "warnings": list(self.warnings)}


@dataclass
class CurationResult:
    """Lesson 04. `curate`'s answer: the kept rows and the report."""

    kept: list
    report: CurationReport


def curate(rows: list[Row], *, reference: list[Row] | None = None,
           count_tokens: Callable[[str], int] | None = None, max_tokens: int = 256,
           near_threshold: float = 0.8, off_task_margin: float = 0.0,
           min_examples: int | None = None, n_examples: int = 3,
           progress: bool = False) -> CurationResult:
    """Lesson 04. Run every step in order; return the kept rows and a `CurationReport`.

    reference: general chat rows for the off-task step (default: `data/tasks/general.jsonl`).
    count_tokens: str -> int (default: the course tokenizer). max_tokens: the length cap.
    near_threshold: shingle Jaccard at which two user texts are near duplicates.
    min_examples: per-task size below which `check_size` warns (default: the seeds' 500).
    n_examples: examples kept per reason in the report.
    """
    if not isinstance(rows, list):
        raise TypeError(f"curate(rows=...): expected a list of row dicts, got {type(rows).__name__}")
    if reference is None:
        from course_utils.dataset.load import load_general
        reference = load_general()
    count_tokens = count_tokens or course_token_counter()
    report = CurationReport(n_in=len(rows))
    steps = [
        ("empty", drop_empty),
        ("malformed", drop_malformed),
        ("off_task", lambda rs: drop_off_task(rs, reference, margin=off_task_margin)),
        ("too_long", lambda rs: drop_too_long(rs, count_tokens, max_tokens)),
        ("pii_redacted", redact_pii),
        ("exact_duplicate", drop_exact_duplicates),
        ("conflicting_label", drop_conflicting_labels),
        ("near_duplicate", lambda rs: drop_near_duplicates(rs, near_threshold)),
    ]
    from tqdm.auto import tqdm

    current = list(rows)
    for name, fn in tqdm(steps, desc="curate", disable=not progress, leave=False):
        t0 = time.perf_counter()
        out, affected = fn(current)
        target = report.transformed if name == "pii_redacted" else report.dropped
        target[name] = [(r.get("id") if isinstance(r, dict) else None, why) for r, why in affected]
        report.examples[name] = affected[:n_examples]
        report.steps.append({"step": name, "rows_in": len(current), "rows_out": len(out),
                             "affected": len(affected), "seconds": time.perf_counter() - t0})
        current = out
    report.n_kept = len(current)
    report.warnings = check_size(current, minimum=min_examples)
    return CurationResult(current, report)


# --------------------------------------------------------------------------------------------
class SmallDatasetWarning(UserWarning):
    """Lesson 04. A curated set smaller than the seeds' guideline for a fine-tuning run."""


def size_guideline() -> dict:
    """Lesson 04. The seeds' minimum-size guideline, read from `data/decide_rules.yaml`."""
    from course_utils.plan.decide import load_rules

    return dict(load_rules()["min_clean_examples"])


def check_size(rows: list[Row], minimum: int | None = None, *, per_task: bool = True) -> list[str]:
    """Lesson 04. Warn (`SmallDatasetWarning`) for each task with fewer than `minimum` rows.

    Default minimum: the low end of the seeds' 500-1,000 clean examples guideline. Returns the
    warning messages (empty when every task is large enough).
    """
    guide = size_guideline()
    minimum = guide["low"] if minimum is None else minimum
    if not isinstance(minimum, int) or minimum < 0:
        raise ValueError(f"check_size(minimum={minimum!r}): must be a non-negative int")
    counts = Counter(r.get("task") for r in rows) if per_task else Counter({"all": len(rows)})
    msgs = []
    for task in sorted(counts, key=str):
        if counts[task] < minimum:
            msgs.append(
                f"only {counts[task]} curated '{task}' examples: the seeds suggest at least "
                f"{guide['low']}-{guide['high']} clean examples for a fine-tuning run to help "
                f"({guide.get('source', 'data/decide_rules.yaml')}). Collect or generate more "
                "before spending GPU time.")
    for m in msgs:
        warnings.warn(m, SmallDatasetWarning, stacklevel=2)
    return msgs


# --------------------------------------------------------------------------------------------
# Scoring against the generator's ground truth.
def score_against_truth(report: CurationReport, truth: dict) -> list[dict]:
    """Lesson 04. Per reason: injected, found, true positives, precision and recall.

    truth: the dict `datagen.make_raw` returns (or `data/tasks/raw_truth.json`).
    """
    out = []
    wanted = {**truth["drop"], **truth["transform"]}
    for reason in list(DROP_REASONS) + ["pii_redacted"]:
        t = set(wanted.get(reason, []))
        p = set(report.ids(reason))
        tp = len(t & p)
        out.append({"reason": reason, "injected": len(t), "found": len(p), "correct": tp,
                    "precision": tp / len(p) if p else (1.0 if not t else 0.0),
                    "recall": tp / len(t) if t else (1.0 if not p else 0.0)})
    return out


def format_scores(scores: list[dict]) -> str:
    """Lesson 04. The precision/recall table as text."""
    lines = [f"{'reason':<19}{'injected':>9}{'found':>7}{'correct':>9}{'precision':>11}{'recall':>8}"]
    for s in scores:
        lines.append(f"{s['reason']:<19}{s['injected']:>9}{s['found']:>7}{s['correct']:>9}"
                     f"{s['precision']:>11.3f}{s['recall']:>8.3f}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
SPLITS = ("train", "validation", "test")


def split(rows: list[Row], fractions=(0.8, 0.1, 0.1), *, seed: int = 0,
          leak_threshold: float = 0.6) -> dict[str, list[Row]]:
    """Lesson 04. Train/validation/test per task, with no near duplicate crossing splits.

    Rows whose user texts reach `leak_threshold` shingle Jaccard are linked; linked rows
    (connected components) go to the same split. Groups are shuffled with `seed` and each is
    placed in the split furthest below its target share. Row order inside a split follows
    the input.
    """
    import random

    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"split(fractions={fractions!r}): need three non-negative numbers "
                         "summing to 1 (train, validation, test)")
    assign: dict[int, str] = {}
    for task in sorted({r["task"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["task"] == task]
        pairs = similar_pairs([user_text(rows[i]) for i in idx], leak_threshold)
        groups = [[idx[k] for k in g] for g in groups_of(len(idx), pairs)]
        random.Random(f"{seed}:{task}").shuffle(groups)
        filled = dict.fromkeys(SPLITS, 0)
        total = len(idx)
        for g in groups:
            name = max(SPLITS, key=lambda s: fractions[SPLITS.index(s)] * total - filled[s])
            filled[name] += len(g)
            for i in g:
                assign[i] = name
    return {s: [r for i, r in enumerate(rows) if assign[i] == s] for s in SPLITS}


def cross_split_pairs(splits: dict[str, list[Row]], threshold: float = 0.6) -> list[tuple]:
    """Lesson 04. Near-duplicate pairs (same task) whose rows sit in different splits.

    Returns [(id_a, split_a, id_b, split_b, jaccard)]; empty when nothing leaks.
    """
    rows = [(name, r) for name in splits for r in splits[name]]
    out = []
    for task in sorted({r["task"] for _, r in rows}):
        sub = [(n, r) for n, r in rows if r["task"] == task]
        for i, j, s in similar_pairs([user_text(r) for _, r in sub], threshold):
            if sub[i][0] != sub[j][0]:
                out.append((sub[i][1]["id"], sub[i][0], sub[j][1]["id"], sub[j][0], s))
    return out


def mix(domain_rows: list[Row], general_rows: list[Row], domain_fraction: float = 0.25, *,
        seed: int = 0, max_rows: int | None = None) -> list[Row]:
    """Lesson 04. Shuffle domain rows with general chat so domain rows are `domain_fraction`.

    The seeds suggest domain data at 20-30 % of a mix built on general data (so 0.25 by
    default). Uses every domain row the general pool can support at that ratio (or fewer if
    `max_rows` caps the total); raises if a pool is empty.
    """
    import random

    if not 0 < domain_fraction <= 1:
        raise ValueError(f"mix(domain_fraction={domain_fraction!r}): must lie in (0, 1]")
    if not domain_rows:
        raise ValueError("mix: domain_rows is empty; pass the curated train split")
    if domain_fraction < 1 and not general_rows:
        raise ValueError("mix: general_rows is empty; pass course_utils.dataset.load.load_general()")
    n_dom = len(domain_rows)
    if domain_fraction < 1:
        # largest n_dom the general pool supports: n_gen = n_dom * (1 - f) / f <= pool
        n_dom = min(n_dom, int(len(general_rows) * domain_fraction / (1 - domain_fraction)))
    if max_rows is not None:
        if not isinstance(max_rows, int) or max_rows < 1:
            raise ValueError(f"mix(max_rows={max_rows!r}): must be a positive int or None")
        n_dom = min(n_dom, max(1, round(max_rows * domain_fraction)))
    n_gen = round(n_dom * (1 - domain_fraction) / domain_fraction)
    n_gen = min(n_gen, len(general_rows))
    rng = random.Random(f"{seed}:mix")
    picked = rng.sample(domain_rows, n_dom) + rng.sample(general_rows, n_gen)
    rng.shuffle(picked)
    return picked


def task_shares(rows: list[Row]) -> dict[str, float]:
    """Lesson 04. Fraction of rows per task (for checking a mix)."""
    c = Counter(r["task"] for r in rows)
    return {t: c[t] / len(rows) for t in sorted(c)} if rows else {}


def system_prompt(task: str) -> str | None:
    """Lesson 04. The system prompt rows of `task` carry (None for general chat)."""
    return SYSTEM_PROMPTS.get(task)
