"""Lesson 04: text similarity for finding copies: shingles, exact Jaccard, and a MinHash LSH
index that verifies its candidates.

Two texts are compared by their sets of 5-character shingles (substrings) after
normalisation (lowercase, runs of other characters collapsed to one space); their similarity
is the Jaccard index |a ∩ b| / |a ∪ b|. Shingles see typos, case and punctuation as small
changes but two swapped words as a large one in a short text, so the curation also compares
sets of words (`word_set`: order-blind). Comparing every pair costs n² set operations;
`NearDupIndex` asks MinHash LSH (datasketch) for candidates and checks each with the exact
Jaccard, so what it reports is exact and what it misses is rare.

Used by the generator (to keep clean rows distinct and near copies near), the curation (to
drop near duplicates) and the split (to keep near duplicates on one side).

What this leaves out: similarity of meaning (paraphrases share few shingles; that needs
embeddings) and word n-grams (sequences of words).
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from typing import Iterable

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


def word_set(text: str) -> frozenset:
    """Lesson 04. The set of words of the normalised text (order and repeats do not count)."""
    return frozenset(normalize_text(text).split())


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

    def __init__(self, threshold: float = 0.8, *, k: int = SHINGLE_K, num_perm: int = NUM_PERM,
                 units: str = "shingles"):
        from datasketch import MinHash, MinHashLSH

        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"NearDupIndex(threshold={threshold!r}): must lie in (0, 1]")
        if units not in ("shingles", "words"):
            raise ValueError(f"NearDupIndex(units={units!r}): choose 'shingles' or 'words'")
        self.threshold, self.k, self.units = threshold, k, units
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
            sh = shingles(text, self.k) if self.units == "shingles" else word_set(text)
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
