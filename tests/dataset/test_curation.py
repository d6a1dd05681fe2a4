"""Lesson 04: each curation step does its one job, and `curate` on the committed raw data finds
what the generator injected (precision and recall >= 0.95 per reason)."""

import json
import warnings

import numpy as np
import pytest

from course_utils import tasks
from course_utils.dataset import curation
from course_utils.dataset import datagen
from course_utils.dataset.load import TASKS_DIR, load_general, load_raw, load_split, load_truth
from jaccard_reference import exact_jaccard_matrix

SYS = datagen.SYSTEM_PROMPTS


def row(rid, user, answer=None, task="triage"):
    answer = answer if answer is not None else datagen.triage_answer(
        category="technical", product="Aero Kettle", urgency="low", order_id=None,
        sentiment="neutral")
    return {"id": rid, "task": task, "messages": [
        {"role": "system", "content": SYS[task]}, {"role": "user", "content": user},
        {"role": "assistant", "content": answer}], "meta": {}}


def words(text):  # a stand-in token counter: words and punctuation marks
    import re
    return len(re.findall(r"\w+|[^\w\s]", text))


@pytest.fixture(scope="module")
def committed():
    raw, truth, general = load_raw(), load_truth(), load_general()
    result = curation.curate(raw, reference=general)
    return raw, truth, general, result


def test_curate_matches_the_injected_ground_truth(committed):
    raw, truth, general, result = committed
    scores = curation.score_against_truth(result.report, truth)
    print("\n" + curation.format_scores(scores))
    assert {s["reason"] for s in scores} >= set(datagen.DROP_REASONS) | {"pii_redacted"}
    for s in scores:
        assert s["injected"] > 0, s["reason"]
        assert s["precision"] >= 0.95 and s["recall"] >= 0.95, s


def test_committed_splits_are_the_curated_rows_split(committed):
    raw, truth, general, result = committed
    splits = {name: load_split(name) for name in curation.SPLITS}
    again = curation.split(result.kept, seed=0)
    for name in curation.SPLITS:
        assert [r["id"] for r in splits[name]] == [r["id"] for r in again[name]], name
    kept_ids = [r["id"] for r in result.kept]
    assert sorted(i for s in splits.values() for i in (r["id"] for r in s)) == sorted(kept_ids)
    report = json.loads((TASKS_DIR / "curation_report.json").read_text())
    assert report["counts"] == result.report.counts()


def test_no_near_duplicate_crosses_splits_by_the_reference_jaccard():
    splits = {name: load_split(name) for name in curation.SPLITS}
    rows = [(name, r) for name, rs in splits.items() for r in rs]
    for task in datagen.TASKS:
        sub = [(n, r) for n, r in rows if r["task"] == task]
        j = exact_jaccard_matrix([datagen.user_text(r) for _, r in sub])
        names = np.array([n for n, _ in sub])
        cross = names[:, None] != names[None, :]
        worst = j[cross].max()
        assert worst < 0.6, f"{task}: rows in different splits reach Jaccard {worst:.2f}"
    assert curation.cross_split_pairs(splits) == []
    sizes = {n: len(rs) for n, rs in splits.items()}
    total = sum(sizes.values())
    assert abs(sizes["train"] / total - 0.8) < 0.03 and min(sizes.values()) > 150


def test_split_keeps_linked_rows_together_and_checks_fractions():
    base = "my aero kettle will not turn on and i need a fix before friday please"
    rows = [row(f"a{i}", base + f" {i}") for i in range(6)] + \
        [row(f"b{i}", f"completely different message number {i} about billing {i * 7}") for i in range(30)]
    sp = curation.split(rows, seed=1)
    homes = {name for name, rs in sp.items() for r in rs if r["id"].startswith("a")}
    assert len(homes) == 1
    with pytest.raises(ValueError, match="fractions"):
        curation.split(rows, fractions=(0.9, 0.2, 0.1))


def test_near_dup_index_finds_every_pair_the_reference_finds():
    texts = [t for t in (datagen.user_text(r) for r in load_raw()[:800]) if t.strip()]
    j = exact_jaccard_matrix(texts)
    for th in (0.6, 0.8):
        ref = {(a, b) for a, b in zip(*np.nonzero(np.triu(j >= th - 1e-12, k=1)))}
        got = {(a, b) for a, b, _ in curation.similar_pairs(texts, th)}
        assert got == ref, th


def test_drop_empty_and_malformed():
    good = row("g", "My Aero Kettle won't turn on.")
    blank_user = row("e1", "   ")
    blank_answer = row("e2", "Hello", answer="\n")
    kept, dropped = curation.drop_empty([good, blank_user, blank_answer])
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
    kept, dropped = curation.drop_malformed([good] + bad)
    assert [r["id"] for r in kept] == ["g"]
    assert [r["id"] for r, _ in dropped] == [r["id"] for r in bad]
    why = dict((r["id"], w) for r, w in dropped)
    assert "enum" in why["m2"] and "pattern" in why["m4"] and "not JSON" in why["m1"]


def test_schema_checker_agrees_with_jsonschema_on_the_raw_answers():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(tasks.triage_schema())
    seen = 0
    for r in load_raw():
        msgs = r.get("messages")
        if r.get("task") != "triage" or not isinstance(msgs, list) or not msgs:
            continue
        content = msgs[-1].get("content") if isinstance(msgs[-1], dict) else None
        try:
            obj = json.loads(content)
        except (TypeError, json.JSONDecodeError):
            continue
        seen += 1
        ours = tasks.answer_problems("triage", content) == []
        assert ours == validator.is_valid(obj), content
    assert seen > 900


def test_redact_text_finds_emails_and_phones_but_not_order_ids_or_prices():
    text = ("Reach me at jane.doe42@example.com or +44 7700 900123, or (212) 555-0147. "
            "Order ORD-48291 cost $129 on 2024-05-01; call 415-555-0199.")
    out, found = curation.redact_text(text)
    assert found == {"email": 1, "phone": 3}
    assert "ORD-48291" in out and "$129" in out and "2024-05-01" in out
    assert "@" not in out and "7700" not in out
    rows, changed = curation.redact_pii([row("p", text), row("q", "nothing here")])
    assert [r["id"] for r, _ in changed] == ["p"]
    assert "[EMAIL]" in rows[0]["messages"][1]["content"] and rows[1]["messages"][1]["content"] == "nothing here"


def test_duplicates_conflicts_and_near_duplicates_keep_the_right_rows():
    a = row("a", "My Luma Desk Lamp flickers every evening since the update, please help.")
    a_copy = {**a, "id": "a2"}
    near = row("a3", a["messages"][1]["content"].upper())
    other = row("b", "I was charged twice for order ORD-11111 and want my money back.")
    conflict = row("b2", other["messages"][1]["content"], answer=datagen.triage_answer(
        category="billing", product=None, urgency="high", order_id="ORD-11111", sentiment="negative"))
    kept, dropped = curation.drop_exact_duplicates([a, a_copy, other])
    assert [r["id"] for r in kept] == ["a", "b"] and dropped[0][1] == "same as a"
    kept, dropped = curation.drop_conflicting_labels([a, other, conflict])
    assert [r["id"] for r in kept] == ["a"] and {r["id"] for r, _ in dropped} == {"b", "b2"}
    kept, dropped = curation.drop_near_duplicates([a, other, near])
    assert [r["id"] for r in kept] == ["a", "b"] and "near duplicate of a" in dropped[0][1]


def test_too_long_uses_the_token_counter_it_is_given():
    short, long_ = row("s", "short"), row("l", "word " * 300)
    kept, dropped = curation.drop_too_long([short, long_], count_tokens=words, max_tokens=100)
    assert [r["id"] for r in kept] == ["s"] and "> 100" in dropped[0][1]
    with pytest.raises(ValueError, match="max_tokens"):
        curation.drop_too_long([short], count_tokens=words, max_tokens=0)


def test_every_committed_row_fits_the_course_tokenizer_cap():
    count = curation.course_token_counter()
    from course_utils.dataset.chat_format import render_chatml
    lengths = [count(render_chatml(r["messages"])) for n in curation.SPLITS for r in load_split(n)]
    assert max(lengths) <= 256
    assert 40 <= sorted(lengths)[len(lengths) // 2] <= 160


def test_size_gate_warns_below_the_seeds_guideline():
    rows = [row(f"x{i}", f"message {i}") for i in range(120)]
    with pytest.warns(curation.SmallDatasetWarning, match="500-1000"):
        msgs = curation.check_size(rows)
    assert len(msgs) == 1 and "120" in msgs[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert curation.check_size(rows, minimum=100) == []


def test_curate_reports_small_sets_and_rejects_bad_input(committed):
    raw, truth, general, result = committed
    assert result.report.warnings == []
    with pytest.warns(curation.SmallDatasetWarning):
        small = curation.curate(raw[:300], reference=general, count_tokens=words)
    assert small.report.warnings and small.report.n_in == 300
    with pytest.raises(TypeError, match="list of row dicts"):
        curation.curate("raw.jsonl", reference=general)


def test_mix_hits_the_ratio_without_repeats():
    train, general = load_split("train"), load_general()
    m = curation.mix(train, general, 0.25, seed=0)
    shares = curation.task_shares(m)
    assert abs(1 - shares["general"] - 0.25) < 0.005
    assert len({r["id"] for r in m}) == len(m)
    assert m == curation.mix(train, general, 0.25, seed=0)
    assert len(curation.mix(train, general, 0.3, max_rows=500)) == 500
    with pytest.raises(ValueError, match="domain_fraction"):
        curation.mix(train, general, 1.5)
    with pytest.raises(ValueError, match="general_rows is empty"):
        curation.mix(train, [], 0.25)

