"""Lesson 06 baselines without a model: BM25 retrieval of training examples and facts, and the
prompts built from them (course_utils.evaluate.retrieval, and the systems' prompt builders)."""

import pytest

from course_utils.dataset.load import load_facts, load_split
from course_utils.evaluate.retrieval import (ExampleRetriever, FactRetriever, tokenize, with_examples, with_facts,
                                             zero_shot)
from course_utils.evaluate.systems import SYSTEMS, Context


def test_prompts_hold_k_examples_of_the_same_task_never_the_row_itself():
    train = load_split("train")
    row = next(r for r in load_split("test") if r["task"] == "triage")
    ctx = Context(train, k=3)
    fixed = SYSTEMS["base k-shot"].prompt(row, ctx)
    similar = SYSTEMS["base retrieval k-shot"].prompt(row, ctx)
    for msgs in (fixed, similar):
        assert msgs[0]["role"] == "system" and msgs[-1] == row["messages"][-2]
        assert [m["role"] for m in msgs[1:-1]] == ["user", "assistant"] * 3
    # retrieval: a training row asked again under a new id finds itself first
    probe = dict(train[10], id="copy")
    assert ExampleRetriever(train).top(probe, 1)[0]["id"] == train[10]["id"]
    assert all(r["id"] != train[10]["id"] for r in ExampleRetriever(train).top(train[10], 5))
    assert with_examples(row, []) == zero_shot(row)


def test_fact_retrieval_finds_the_current_fact():
    v2 = FactRetriever(load_facts(2))
    ids = [f["id"] for f in v2.top("How much is the Aero Kettle?", 3)]
    assert "price/aero-kettle" in ids
    row = next(r for r in load_split("test_facts_v2"))
    msgs = with_facts(row, v2.top(row["messages"][-2]["content"], 3))
    assert msgs[0]["content"].startswith(row["messages"][0]["content"]) and "Facts:" in msgs[0]["content"]


def test_tokens_keep_prices_and_order_ids_whole():
    assert tokenize("Order ORD-12345 cost $249, not $24.") == ["order", "ord-12345", "cost", "$249", "not", "$24"]


def test_retrievers_refuse_empty_pools_and_unknown_tasks():
    with pytest.raises(ValueError, match="training rows"):
        ExampleRetriever([])
    with pytest.raises(ValueError, match="load_facts"):
        FactRetriever([])
    policy_only = [r for r in load_split("train") if r["task"] == "policy_qa"][:5]
    row = next(r for r in load_split("test") if r["task"] == "triage")
    with pytest.raises(KeyError, match="no 'triage' rows"):
        ExampleRetriever(policy_only).top(row, 1)
    with pytest.raises(ValueError, match="facts"):
        SYSTEMS["base + facts"].prompt(row, Context(policy_only))
