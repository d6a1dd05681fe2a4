"""Lesson 04: general chat rows are distinct, well formed, deterministic, and answered right."""

import pytest

from course_utils.dataset.general_chat import CAPITALS, KINDS, generate_general
from course_utils.dataset.rows import row_problems


def test_general_rows_are_distinct_well_formed_and_some_have_two_turns():
    rows = generate_general(0, 800)
    keys = [str(r["messages"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert any(len(r["messages"]) == 4 for r in rows)
    assert all(row_problems(r) == [] and r["task"] == "general" for r in rows)
    assert [r["id"] for r in rows[:2]] == ["gen-00001", "gen-00002"]


def test_streams_are_deterministic_and_independent():
    assert generate_general(3, 50) == generate_general(3, 50)
    other = generate_general(3, 50, stream="off_task")
    assert [r["messages"] for r in other] != [r["messages"] for r in generate_general(3, 50)]


def test_answers_are_right_where_they_can_be_checked():
    seen = set()
    for r in generate_general(1, 600):
        q, a = r["messages"][0]["content"], r["messages"][1]["content"]
        if q.startswith(("What is ", "Compute ", "Quick maths: ")) and any(
                op in q for op in (" plus ", " minus ", " times ")):
            x, op, y = q.rstrip("?.").split(": ")[-1].split()[-3:]
            want = {"plus": int(x) + int(y), "minus": int(x) - int(y), "times": int(x) * int(y)}[op]
            assert a == f"{x} {op} {y} is {want}.", q
            seen.add("arithmetic")
        elif "capital of" in q:
            country = q.rstrip("?.").split("capital of ")[1]
            assert a == f"The capital of {country} is {CAPITALS[country]}.", q
            seen.add("capital")
        elif q.startswith(("Sort these numbers: ", "Put in order, smallest first: ")):
            nums = [int(n) for n in q.split(": ")[1].split(", ")]
            assert a == ", ".join(map(str, sorted(nums))), q
            seen.add("sort")
    assert seen == {"arithmetic", "capital", "sort"}
    assert len(KINDS) == 17


def test_bad_count_names_the_argument():
    with pytest.raises(ValueError, match=r"generate_general\(n=-1\)"):
        generate_general(0, -1)
