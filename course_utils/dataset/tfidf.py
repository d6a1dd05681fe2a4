"""Lesson 04: character n-gram TF-IDF vectors, and how close a text is to its nearest neighbours.

A text becomes the bag of its 3- to 5-character pieces, taken inside words padded with a space
(" kettle " gives " ke", "ket", ..., "le "), after lowercasing, turning every digit into 0 and
every other character into a space. Pieces of words generalise where whole words do not:
"baking" shares " bak" with "bake" and "baker", and "ORD-48291" looks like every order id.
Each piece is weighted by TF-IDF (1 + log of its count in the text, times
log((1 + n) / (1 + the number of texts that have it)) + 1, over the fitted texts) so pieces
every text has (" th", "the ") count for little; each vector has length 1, so the dot product
of two vectors is their cosine similarity, between 0 and 1.

`nearest_similarity` gives, for every text of one set, the mean cosine of its k most similar
texts in another set (itself and exact copies left out) and the index of the most similar one.
Used by the off-task check (`course_utils.dataset.off_task`).

The same weighting as scikit-learn's ``TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5),
sublinear_tf=True)``, written with numpy and scipy so the dataset layer needs no scikit-learn.

What this leaves out: meaning (synonyms share no pieces; that needs embeddings), and a fixed
vocabulary across calls (each `TfidfVectors` is fitted on the texts it is given).
"""

from __future__ import annotations

import math
import re
from collections import Counter

NGRAMS = (3, 5)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_DIGIT = re.compile(r"[0-9]")


def char_ngrams(text: str, ngrams: tuple[int, int] = NGRAMS) -> list[str]:
    """Lesson 04. The 3- to 5-character pieces of each word of the normalised text (with repeats)."""
    text = _DIGIT.sub("0", _NOT_ALNUM.sub(" ", text.lower()))
    out = []
    for word in text.split():
        w = f" {word} "
        for n in range(ngrams[0], ngrams[1] + 1):
            if len(w) <= n:
                out.append(w)  # a short word is one piece, counted once
                break
            out.extend(w[i:i + n] for i in range(len(w) - n + 1))
    return out


class TfidfVectors:
    """Lesson 04. TF-IDF over character n-grams, fitted on `texts` (see the module docstring)."""

    def __init__(self, texts: list[str], ngrams: tuple[int, int] = NGRAMS):
        import numpy as np

        self.ngrams = ngrams
        self._counts: dict[str, Counter] = {}  # text -> its pieces, counted once per text
        df = Counter()
        for t in texts:
            df.update(self._pieces(t).keys())
        self.vocab = {g: i for i, g in enumerate(sorted(df))}
        n = len(texts)
        self.idf = np.array([math.log((1 + n) / (1 + df[g])) + 1 for g in sorted(df)])

    def _pieces(self, text: str) -> Counter:
        if text not in self._counts:
            self._counts[text] = Counter(char_ngrams(text, self.ngrams))
        return self._counts[text]

    def transform(self, texts: list[str]):
        """Rows of unit length (a scipy CSR matrix); pieces not seen when fitting are ignored."""
        import numpy as np
        from scipy import sparse

        indptr, cols, counts = [0], [], []
        for t in texts:
            known = [(self.vocab[g], c) for g, c in self._pieces(t).items() if g in self.vocab]
            cols.extend(j for j, _ in known)
            counts.extend(c for _, c in known)
            indptr.append(len(cols))
        cols_a = np.asarray(cols, dtype=np.int64)
        vals = (1 + np.log(np.asarray(counts, dtype=float))) * self.idf[cols_a]
        x = sparse.csr_matrix((vals, cols_a, np.asarray(indptr)), shape=(len(texts), len(self.vocab)))
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.diags(1.0 / norms) @ x


def nearest_similarity(a, b, k: int = 5, *, chunk: int = 512):
    """Lesson 04. For each row of `a`: the mean cosine of its `k` most similar rows of `b`, and
    the index in `b` of the most similar one.

    Identical vectors (cosine >= 0.9999: the text itself, or an exact copy) are left out, so a
    text is never its own neighbour. Returns two numpy arrays (means, indices); -1 where `b`
    holds nothing else.
    """
    import numpy as np

    if k < 1:
        raise ValueError(f"nearest_similarity(k={k!r}): must be a positive int")
    n = a.shape[0]
    means, best = np.zeros(n), np.full(n, -1)
    bt = b.T.tocsc()
    for start in range(0, n, chunk):
        sims = (a[start:start + chunk] @ bt).toarray()
        sims[sims >= 0.9999] = -1.0
        kk = min(k, sims.shape[1])
        if kk == 0:
            continue
        top = -np.partition(-sims, kk - 1, axis=1)[:, :kk]
        valid = top >= 0
        counts = np.maximum(valid.sum(axis=1), 1)
        means[start:start + chunk] = np.where(valid, top, 0).sum(axis=1) / counts
        arg = sims.argmax(axis=1)
        best[start:start + chunk] = np.where(sims.max(axis=1) >= 0, arg, -1)
    return means, best
