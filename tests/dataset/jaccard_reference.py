"""Reference for the near-duplicate tests: exact all-pairs shingle Jaccard (brute force)."""

import numpy as np
from scipy import sparse

from course_utils.dataset import curation


def exact_jaccard_matrix(texts):
    """Reference implementation: all-pairs shingle Jaccard with a sparse matrix product."""
    vocab, rows, cols = {}, [], []
    for i, t in enumerate(texts):
        for s in curation.shingles(t):
            rows.append(i)
            cols.append(vocab.setdefault(s, len(vocab)))
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocab)))
    inter = (x @ x.T).toarray()
    size = np.asarray(x.sum(axis=1)).ravel()
    return inter / (size[:, None] + size[None, :] - inter)
