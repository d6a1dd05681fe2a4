"""Lesson 06: BM25 retrieval of training examples and facts, and the prompts built from them (pure:
rank-bm25 and the standard library; no torch).

`ExampleRetriever` finds the k training rows of a task whose user message is most similar to a
query (Robertson & Zaragoza 2009, Okapi BM25 with rank-bm25's defaults k1=1.5, b=0.75);
`FactRetriever` does the same over a fact table (`data/tasks/facts_v*.json`). The prompt
builders turn a row into the messages a system is asked with: zero-shot, k-shot (fixed
examples as earlier turns), retrieval k-shot (retrieved examples as earlier turns) and facts in
the system message.

What this leaves out: dense embeddings (no embedding model ships with the course; BM25 is the
usual strong baseline for short keyword-heavy texts like these tickets) and re-ranking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TOKEN = re.compile(r"[a-z0-9$]+(?:-[a-z0-9]+)*")


def tokenize(text: str) -> list[str]:
    """Lesson 06. Lower-case word tokens for BM25 ('$249', 'ord-12345' stay whole)."""
    return TOKEN.findall(text.lower())


def _user(row: dict) -> str:
    return next(m["content"] for m in row["messages"] if m["role"] == "user")


class ExampleRetriever:
    """Lesson 06. BM25 over the user messages of `pool` (training rows); `top(query, k)` returns
    the k most similar rows of the same task, best first, never the query row itself (same id)."""

    def __init__(self, pool: Sequence[dict]):
        from rank_bm25 import BM25Okapi

        if not pool:
            raise ValueError("ExampleRetriever(pool=[]): pass training rows to retrieve from")
        self.by_task: dict[str, tuple[list[dict], object]] = {}
        tasks = sorted({r["task"] for r in pool})
        for t in tasks:
            rows = [r for r in pool if r["task"] == t]
            self.by_task[t] = (rows, BM25Okapi([tokenize(_user(r)) for r in rows]))

    def top(self, row: dict, k: int) -> list[dict]:
        if k < 0:
            raise ValueError(f"k={k}: the number of examples to retrieve must be >= 0")
        if row["task"] not in self.by_task:
            raise KeyError(f"no {row['task']!r} rows in the retrieval pool; tasks: {sorted(self.by_task)}")
        rows, bm25 = self.by_task[row["task"]]
        scores = bm25.get_scores(tokenize(_user(row)))
        order = sorted(range(len(rows)), key=lambda i: (-scores[i], i))
        return [rows[i] for i in order if rows[i]["id"] != row.get("id")][:k]


class FactRetriever:
    """Lesson 06. BM25 over a fact table's sentences; `top(question, k)` -> the k best facts."""

    def __init__(self, facts: Sequence[dict]):
        from rank_bm25 import BM25Okapi

        if not facts:
            raise ValueError("FactRetriever(facts=[]): pass a fact table (load_facts(version))")
        self.facts = list(facts)
        self.bm25 = BM25Okapi([tokenize(f["text"] + " " + f["id"].replace("/", " ").replace("_", " "))
                               for f in self.facts])

    def top(self, question: str, k: int = 3) -> list[dict]:
        scores = self.bm25.get_scores(tokenize(question))
        order = sorted(range(len(self.facts)), key=lambda i: (-scores[i], i))
        return [self.facts[i] for i in order[:k]]


def zero_shot(row: dict) -> list[dict]:
    """Lesson 06. The row's messages before its answer (system + user)."""
    msgs = list(row["messages"])
    return msgs[:-1] if msgs and msgs[-1]["role"] == "assistant" else msgs


def with_examples(row: dict, examples: Sequence[dict]) -> list[dict]:
    """Lesson 06. k-shot: each example's user/assistant turns placed before the row's question,
    after its system message (the chat form of few-shot prompting)."""
    msgs = zero_shot(row)
    head = [m for m in msgs[:1] if m["role"] == "system"]
    shots = []
    for ex in examples:
        shots += [m for m in ex["messages"] if m["role"] in ("user", "assistant")][-2:]
    return head + shots + msgs[len(head):]


def with_facts(row: dict, facts: Sequence[dict]) -> list[dict]:
    """Lesson 06. The retrieved facts appended to the system message ('Facts: ...')."""
    msgs = [dict(m) for m in zero_shot(row)]
    text = "Facts: " + " ".join(f["text"] for f in facts)
    if msgs and msgs[0]["role"] == "system":
        msgs[0]["content"] = msgs[0]["content"] + " " + text
    else:
        msgs.insert(0, {"role": "system", "content": text})
    return msgs
