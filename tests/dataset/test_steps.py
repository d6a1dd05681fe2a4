"""Lesson 04: each rule-based curation step does its one job, keeps the right rows and says why."""

import json

import pytest

from course_utils.dataset import steps, textsim
from course_utils.dataset.rows import user_text
from course_utils.dataset.generate import triage_answer
from row_builders import row, words


def test_drop_empty_and_malformed():
    good = row("g", "My Aero Kettle won't turn on.")
    blank_user = row("e1", "   ")
    blank_answer = row("e2", "Hello", answer="\n")
    kept, dropped = steps.drop_empty([good, blank_user, blank_answer])
    assert [r["id"] for r in kept] == ["g"] and [r["id"] for r, _ in dropped] == ["e1", "e2"]

    ans = json.loads(good["messages"][-1]["content"])
    bad = [
        row("m1", "x", answer=good["messages"][-1]["content"][:-1]),                  # not JSON
        row("m2", "x", answer=json.dumps({**ans, "category": "Delivery"})),           # enum
        row("m3", "x", answer=json.dumps({k: v for k, v in ans.items() if k != "urgency"})),
        row("m4", "x", answer=json.dumps({**ans, "order_id": "12345"})),              # pattern
        row("m5", "x", answer=json.dumps({**ans, "extra": 1})),                       # extra key
        row("m6", "x", answer="label: rude\nreason: mean words", task="moderation"),
        row("m7", "x", answer="label: spam", task="moderation"),
        {**good, "id": "m8", "messages": good["messages"][:2]},                       # no answer
        {**good, "id": "m9", "messages": good["messages"][:2] + [{"role": "bot", "content": "hi"}]},
        {**good, "id": "m10", "messages": "hello"},
        {**good, "id": "m11", "task": "chitchat"},
    ]
    kept, dropped = steps.drop_malformed([good] + bad)
    assert [r["id"] for r in kept] == ["g"]
    assert [r["id"] for r, _ in dropped] == [r["id"] for r in bad]
    why = dict((r["id"], w) for r, w in dropped)
    assert "enum" in why["m2"] and "pattern" in why["m4"] and "not JSON" in why["m1"]


def test_duplicates_conflicts_and_near_duplicates_keep_the_right_rows():
    a = row("a", "My Luma Desk Lamp flickers every evening since the update, please help.")
    a_copy = {**a, "id": "a2"}
    near = row("a3", a["messages"][1]["content"].upper())
    other = row("b", "I was charged twice for order ORD-11111 and want my money back.")
    conflict = row("b2", other["messages"][1]["content"], answer=triage_answer(
        category="billing", product=None, urgency="high", order_id="ORD-11111", sentiment="negative"))
    kept, dropped = steps.drop_exact_duplicates([a, a_copy, other])
    assert [r["id"] for r in kept] == ["a", "b"] and dropped[0][1] == "same as a"
    kept, dropped = steps.drop_conflicting_labels([a, other, conflict])
    assert [r["id"] for r in kept] == ["a"] and {r["id"] for r, _ in dropped} == {"b", "b2"}
    kept, dropped = steps.drop_near_duplicates([a, other, near])
    assert [r["id"] for r in kept] == ["a", "b"] and "near duplicate of a" in dropped[0][1]
    # Two words swapped in a short message: few shingles survive, the words all do.
    short = row("s", "Price of the Volt Power Bank please?")
    swapped = row("s2", "Price of the Power Volt Bank please?")
    assert textsim.jaccard(textsim.shingles(user_text(short)), textsim.shingles(user_text(swapped))) < 0.8
    kept, dropped = steps.drop_near_duplicates([short, swapped])
    assert [r["id"] for r in kept] == ["s"] and "word Jaccard 1.00" in dropped[0][1]
    # Near duplicates are looked for within a task only.
    kept, _ = steps.drop_near_duplicates([a, row("m", a["messages"][1]["content"] + "!", task="policy_qa",
                                                 answer="The Luma Desk Lamp costs $39.")])
    assert len(kept) == 2


def test_too_long_uses_the_token_counter_it_is_given():
    short, long_ = row("s", "short"), row("l", "word " * 300)
    kept, dropped = steps.drop_too_long([short, long_], count_tokens=words, max_tokens=100)
    assert [r["id"] for r in kept] == ["s"] and "> 100" in dropped[0][1]
    with pytest.raises(ValueError, match="max_tokens"):
        steps.drop_too_long([short], count_tokens=words, max_tokens=0)
