"""An independent reference for the near-duplicate tests: shingle Jaccard written from its
definition, sharing no code with `course_utils.dataset.textsim`.

The definition (lesson 04): lowercase the text; every run of characters other than ASCII
letters and digits becomes one space, none at either end; the shingles are the set of all
5-character substrings (a text of 5 characters or fewer is its own only shingle, an empty text
has none); the similarity of two texts is |A ∩ B| / |A ∪ B|.
"""

import string

import numpy as np
from scipy import sparse

K = 5
_KEEP = frozenset(string.ascii_lowercase + string.digits)


def reference_normalize(text: str) -> str:
    """Character by character: keep ASCII letters and digits, turn each gap into one space."""
    out, gap = [], False
    for ch in text.lower():
        if ch in _KEEP:
            if gap and out:
                out.append(" ")
            out.append(ch)
            gap = False
        else:
            gap = True
    return "".join(out)


def reference_shingles(text: str, k: int = K) -> set:
    t = reference_normalize(text)
    if not t:
        return set()
    if len(t) <= k:
        return {t}
    return {t[i:i + k] for i in range(len(t) - k + 1)}


def reference_jaccard(a: str, b: str) -> float:
    """Plain set operations on the reference shingles (1.0 for two texts without shingles)."""
    sa, sb = reference_shingles(a), reference_shingles(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else 1.0


def exact_jaccard_matrix(texts) -> np.ndarray:
    """All-pairs Jaccard of the reference shingles, as one sparse matrix product.

    Row i of X marks the shingles of text i, so (X Xᵀ)[i, j] = |A_i ∩ A_j| and
    |A_i ∪ A_j| = |A_i| + |A_j| - |A_i ∩ A_j|. Texts without shingles give NaN; leave them out.
    """
    vocab, rows, cols = {}, [], []
    for i, t in enumerate(texts):
        for s in reference_shingles(t):
            rows.append(i)
            cols.append(vocab.setdefault(s, len(vocab)))
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocab)))
    inter = (x @ x.T).toarray()
    size = np.asarray(x.sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / (size[:, None] + size[None, :] - inter)
