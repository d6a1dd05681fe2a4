"""Lesson 04: character n-gram TF-IDF follows its definition (checked against a dictionary
implementation written here) and nearest-neighbour similarity leaves a text's copies out."""

import math
from collections import Counter

import numpy as np
import pytest

from course_utils.dataset.tfidf import TfidfVectors, char_ngrams, nearest_similarity

TEXTS = ["How much is the Aero Kettle?", "What does the Aero Kettle cost?",
         "My order ORD-48291 never arrived", "Order ORD-11111 never arrived!",
         "What temperature should I bake sourdough at?", "Explain the offside rule",
         "Is it OK?", ""]


def reference_vectors(texts):
    """TF-IDF as written in the module docstring, with dicts: (1 + log tf) * idf, unit length."""
    grams = [Counter(char_ngrams(t)) for t in texts]
    df = Counter(g for c in grams for g in c)
    n = len(texts)
    out = []
    for c in grams:
        v = {g: (1 + math.log(k)) * (math.log((1 + n) / (1 + df[g])) + 1) for g, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        out.append({g: x / norm for g, x in v.items()})
    return out


def test_char_ngrams_are_pieces_of_padded_words_with_digits_folded():
    # " hi " has two 3-pieces; at length 4 the padded word is one piece, counted once.
    assert char_ngrams("Hi") == [" hi", "hi ", " hi "]
    assert char_ngrams("ORD-481") == [" or", "ord", "rd ", " ord", "ord ", " ord ",
                                      " 00", "000", "00 ", " 000", "000 ", " 000 "]
    assert char_ngrams("") == [] and char_ngrams("!!!") == []


def test_cosines_match_the_dictionary_reference():
    vec = TfidfVectors(TEXTS)
    x = vec.transform(TEXTS)
    ref = reference_vectors(TEXTS)
    dense = (x @ x.T).toarray()
    for i in range(len(TEXTS)):
        for j in range(len(TEXTS)):
            want = sum(ref[i][g] * ref[j].get(g, 0.0) for g in ref[i])
            assert dense[i, j] == pytest.approx(want, abs=1e-9), (TEXTS[i], TEXTS[j])
    assert dense[0, 1] > dense[0, 4]  # two kettle questions are closer than kettle and sourdough


def test_nearest_similarity_leaves_out_the_text_and_its_copies():
    texts = TEXTS[:6] + [TEXTS[0]]  # a copy of the first text at the end
    vec = TfidfVectors(texts)
    x = vec.transform(texts)
    means, best = nearest_similarity(x, x, k=1)
    sims = (x @ x.T).toarray()
    assert best[0] == 1 and means[0] == pytest.approx(sims[0, 1])
    assert best[6] == 1  # not its copy at index 0
    means3, _ = nearest_similarity(x, x, k=3)
    row = sorted((s for j, s in enumerate(sims[2]) if s < 0.9999), reverse=True)[:3]
    assert means3[2] == pytest.approx(np.mean(row))
    with pytest.raises(ValueError, match="k=0"):
        nearest_similarity(x, x, k=0)
