"""Lesson 04: train/validation/test splits that do not leak, and the training mix.

`split` divides each task's rows 80/10/10 (by default) and keeps every group of near
duplicates (user-text shingle Jaccard >= 0.6, linked transitively) inside one split, so the
test set does not reward memorising a template seen in training; `cross_split_pairs` checks
that nothing leaks. `mix` blends the task rows with general chat at a chosen share, and
`task_shares` reports the shares of a mix.

What this leaves out: splitting by time or by customer (the synthetic rows have neither) and
stratifying by label inside a task.
"""

from __future__ import annotations

import random
from collections import Counter

from course_utils.dataset.rows import Row, user_text
from course_utils.dataset.textsim import groups_of, similar_pairs

SPLITS = ("train", "validation", "test")


def split(rows: list[Row], fractions=(0.8, 0.1, 0.1), *, seed: int = 0,
          leak_threshold: float = 0.6) -> dict[str, list[Row]]:
    """Lesson 04. Train/validation/test per task, with no near duplicate crossing splits.

    Rows whose user texts reach `leak_threshold` shingle Jaccard are linked; linked rows
    (connected components) go to the same split. Groups are shuffled with `seed` and each is
    placed in the split furthest below its target share. Row order inside a split follows
    the input.
    """
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
