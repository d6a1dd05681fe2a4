"""Lesson 04: shingles and Jaccard follow their definition, and the MinHash LSH index finds
exactly the pairs an exhaustive comparison finds."""

import numpy as np
import pytest

from course_utils.dataset import textsim
from course_utils.dataset.load import load_raw
from course_utils.dataset.rows import user_text
from jaccard_reference import (exact_jaccard_matrix, reference_jaccard, reference_normalize,
                               reference_shingles)

TRICKY = ["", "   ", "!!!", "Hi", "Hello", "Hello!", "HELLO, world", "Café au lait — 3,50 €",
          "ORD-48291 isn't here...", "line one\nline two\ttab", "naïve résumé", "a_b-c.d",
          "My Luma Desk Lamp flickers since the update, please help.",
          "my luma desk lamp flickers since the update, please help!!"]


def test_shingles_and_jaccard_match_the_definition():
    for a in TRICKY:
        assert textsim.normalize_text(a) == reference_normalize(a), a
        assert set(textsim.shingles(a)) == reference_shingles(a), a
        for b in TRICKY:
            got = textsim.jaccard(textsim.shingles(a), textsim.shingles(b))
            assert got == pytest.approx(reference_jaccard(a, b)), (a, b)


def test_near_dup_index_finds_every_pair_the_reference_finds():
    texts = [t for t in (user_text(r) for r in load_raw()[:800]) if t.strip()]
    j = exact_jaccard_matrix(texts)
    for th in (0.6, 0.8):
        ref = {(a, b) for a, b in zip(*np.nonzero(np.triu(j >= th - 1e-12, k=1)))}
        got = {(a, b) for a, b, _ in textsim.similar_pairs(texts, th)}
        assert got == ref, th
        assert ref, "the sample should hold some near duplicates to find"


def test_index_reports_exact_scores_and_rejects_bad_use():
    index = textsim.NearDupIndex(0.5)
    index.add("the aero kettle will not boil water any more", "a")
    hits = index.query("The Aero Kettle will not boil water anymore!")
    assert [k for k, _ in hits] == ["a"]
    assert hits[0][1] == pytest.approx(reference_jaccard(
        "the aero kettle will not boil water any more", "The Aero Kettle will not boil water anymore!"))
    with pytest.raises(ValueError, match="was added before"):
        index.add("anything", "a")
    with pytest.raises(ValueError, match="threshold=0"):
        textsim.NearDupIndex(0)
    with pytest.raises(ValueError, match="units='lines'"):
        textsim.NearDupIndex(0.5, units="lines")


def test_word_sets_ignore_order_case_punctuation_and_repeats():
    assert textsim.word_set("Where is my order, my ORDER?!") == {"where", "is", "my", "order"}
    index = textsim.NearDupIndex(0.85, units="words")
    index.add("the kettle will not boil water", "a")
    assert [k for k, _ in index.query("Will the kettle not boil water?")] == ["a"]
    assert index.query("the kettle will not boil milk") == []  # 5 of 7 words: 0.71


def test_groups_of_links_pairs_transitively():
    assert textsim.groups_of(5, [(0, 2, 0.9), (2, 4, 0.7)]) == [[0, 2, 4], [1], [3]]
    assert textsim.groups_of(3, []) == [[0], [1], [2]]
