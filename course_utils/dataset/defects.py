"""Lesson 04: the raw dataset: clean rows with planted defects, and the record of what was planted.

`make_raw` takes the clean rows of `course_utils.dataset.generate` and plants defects at
recorded rates (a fraction of the clean rows each):

    exact_duplicate     a byte-identical copy, later in the file
    near_duplicate      a copy with a small edit (case, punctuation, spacing, a typo, a filler
                        word) that keeps shingle Jaccard >= `NEAR_COPY_AT_LEAST`
    malformed           a broken answer (truncated or Python-style JSON, a label outside the
                        set, a missing field) or broken structure (a wrong role, no answer)
    empty               blank user or assistant text
    too_long            a customer pasting their whole order history
    conflicting_label   a later copy of the input with a different answer (both are wrong to keep)
    off_task            general chat filed under a task, with a plausible-looking answer
    pii                 an e-mail address or a phone number (fictional ranges) appended

and returns the ground truth: which raw ids a perfect curation drops for each reason, which it
redacts, and which original each copy comes from, so that `course_utils.dataset.curation` can
be scored against it.

What this leaves out: defects a rule cannot plant honestly, such as labels that are
consistently wrong or two tasks' rows swapped; the curation does not look for them either.
"""

from __future__ import annotations

import json
import random

from course_utils.dataset.general_chat import generate_general
from course_utils.dataset.generate import (catalog, generate_task_rows, moderation_answer,
                                           random_order_id, task_row, triage_answer)
from course_utils.dataset.textsim import jaccard, shingles
from course_utils.dataset.vocab import DAYS, MODERATION_KINDS, NAMES
from course_utils.tasks import TASKS, TRIAGE_CATEGORIES, TRIAGE_URGENCIES

# A planted near duplicate keeps at least this shingle Jaccard with its original, above the
# curation's near-duplicate threshold (0.8); clean rows stay below 0.7 of each other
# (`course_utils.dataset.generate.DISTINCT_BELOW`).
NEAR_COPY_AT_LEAST = 0.85

# Defect rates, as a fraction of the clean rows. `conflicting_label` adds one contradicting
# copy per picked row (both rows are then wrong to keep); the others add or change one row.
DEFAULT_RATES = {
    "exact_duplicate": 0.05,
    "near_duplicate": 0.05,
    "malformed": 0.04,
    "empty": 0.02,
    "too_long": 0.02,
    "conflicting_label": 0.03,
    "off_task": 0.03,
    "pii": 0.05,
}
# The reasons a perfect curation drops a planted row for, in the order the curation's steps
# run (`course_utils.dataset.curation`); raw_truth.json lists them in this order.
DROP_REASONS = ("empty", "malformed", "off_task", "too_long", "exact_duplicate",
                "conflicting_label", "near_duplicate")


# --------------------------------------------------------------------------------------------
# One function per defect; each returns a changed copy and leaves its input alone.
def _fake_email(rng: random.Random) -> str:
    name = rng.choice(NAMES).lower()
    return (f"{name}{rng.choice(['', '.', '_'])}{rng.choice(['smith', 'lee', 'k', 'm', 'ng'])}"
            f"{rng.randint(1, 99)}@{rng.choice(['example.com', 'mail.test', 'inbox.example.org'])}")


def _fake_phone(rng: random.Random) -> str:
    """A phone number from the ranges reserved for fiction (UK 07700 900xxx and 020 7946 0xxx,
    North American 555-01xx), written in the usual formats."""
    d = lambda k: "".join(str(rng.randint(0, 9)) for _ in range(k))  # noqa: E731
    area = rng.choice(["212", "415", "617", "303"])
    return rng.choice([f"+44 7700 900{d(3)}", f"07700 900{d(3)}", f"+44 20 7946 0{d(3)}",
                       f"({area}) 555-01{d(2)}", f"{area}-555-01{d(2)}", f"+1 {area} 555 01{d(2)}"])


def _with_pii(rng: random.Random, text: str) -> str:
    email, phone = _fake_email(rng), _fake_phone(rng)
    add = rng.choice([f"You can reach me at {email}.", f"Call me on {phone}.",
                      f"My email is {email}, phone {phone}.", f"Contact: {email}",
                      f"Text me at {phone} if easier."])
    return f"{text} {add}"


def _near_edit(rng: random.Random, text: str) -> str:
    """A small edit: case, punctuation, spacing, one typo or a filler word."""
    kind = rng.randrange(5)
    words = text.split(" ")
    if kind == 0:
        return text.upper() if rng.random() < 0.3 else text.lower()
    if kind == 1:
        return text.rstrip(".!?") + rng.choice(["!!", "?", "...", " !"])
    if kind == 2:  # a doubled space and a trailing one
        i = rng.randrange(len(words))
        return " ".join(words[:i] + [words[i] + " "] + words[i + 1:]) + " "
    if kind == 3:
        long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long:
            i = rng.choice(long)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            return " ".join(words)
    return text + rng.choice([" pls", " thx", " thanks", " ok?"])


def _malform(rng: random.Random, row: dict) -> dict:
    row = json.loads(json.dumps(row))
    msgs = row["messages"]
    answer = msgs[-1]["content"]
    task = row["task"]
    structural = [
        lambda: msgs.__setitem__(-1, {"role": "bot", "content": answer}),
        lambda: msgs.pop(),
        lambda: msgs[-1].__setitem__("content", None),
        lambda: row.__setitem__("messages", list(reversed(msgs))),
    ]
    if task == "triage":
        obj = json.loads(answer)
        k = rng.randrange(7)
        if k == 0:
            msgs[-1]["content"] = answer[:-1]                                  # truncated JSON
        elif k == 1:
            msgs[-1]["content"] = answer.replace('"', "'")                    # Python dict, not JSON
        elif k == 2:
            msgs[-1]["content"] = json.dumps({**obj, "category": rng.choice(
                ["Delivery", "refund", "tech support", "other"])}, separators=(",", ":"))
        elif k == 3:
            obj.pop(rng.choice(["urgency", "sentiment", "order_id"]))
            msgs[-1]["content"] = json.dumps(obj, separators=(",", ":"))
        elif k == 4:
            msgs[-1]["content"] = json.dumps({**obj, "order_id": str(rng.randint(10000, 99999))},
                                             separators=(",", ":"))
        elif k == 5:
            msgs[-1]["content"] = "Sure! Here is the JSON: " + answer
        else:
            rng.choice(structural)()
    elif task == "moderation":
        label = answer.split("\n")[0].removeprefix("label: ")
        k = rng.randrange(4)
        if k == 0:
            msgs[-1]["content"] = answer.replace(f"label: {label}", f"label: {rng.choice(['rude', 'SPAM!!', 'fine', 'toxic'])}")
        elif k == 1:
            msgs[-1]["content"] = f"label: {label}"
        elif k == 2:
            msgs[-1]["content"] = f"This looks like {label} to me."
        else:
            rng.choice(structural)()
    else:
        rng.choice(structural)()
    return row


def _conflict(rng: random.Random, row: dict) -> dict:
    row = json.loads(json.dumps(row))
    answer = row["messages"][-1]["content"]
    if row["task"] == "triage":
        obj = json.loads(answer)
        obj["category"] = rng.choice([c for c in TRIAGE_CATEGORIES if c != obj["category"]])
        new = triage_answer(**obj)
    elif row["task"] == "moderation":
        label = answer.split("\n")[0].removeprefix("label: ")
        other = rng.choice([k for k in MODERATION_KINDS if k[0] != label])
        new = moderation_answer(other[0], other[2])
    else:
        nums = [c for c in answer.split() if any(ch.isdigit() for ch in c)]
        new = answer
        if nums:
            tok = nums[0]
            digits = "".join(ch for ch in tok if ch.isdigit())
            new = answer.replace(digits, str(int(digits) + rng.choice([5, 10, 20])), 1)
        if new == answer:
            new = "Sorry, I don't have that information."
    row["messages"][-1]["content"] = new
    return row


def _overlong(rng: random.Random, row: dict) -> dict:
    row = json.loads(json.dumps(row))
    products = catalog()
    lines = [f"{random_order_id(rng)} {rng.choice(products).name} delivered {rng.choice(DAYS)}."
             for _ in range(rng.randint(45, 70))]
    msgs = row["messages"]
    msgs[1]["content"] = msgs[1]["content"] + " My order history, in case it helps: " + " ".join(lines)
    return row


def _emptied(rng: random.Random, row: dict) -> dict:
    row = json.loads(json.dumps(row))
    blank = rng.choice(["", " ", "   ", "\n", "\t \n"])
    k = rng.randrange(3)
    if k in (0, 2):
        row["messages"][1]["content"] = blank
    if k in (1, 2):
        row["messages"][-1]["content"] = rng.choice(["", " ", "\n"])
    return row


def _off_task(rng: random.Random, task: str, msgs: list[dict]) -> dict:
    user, reply = msgs[0]["content"], msgs[1]["content"]
    if task == "triage":  # annotated anyway, with a plausible-looking but meaningless label
        answer = triage_answer(category=rng.choice(TRIAGE_CATEGORIES), product=None,
                               urgency=rng.choice(TRIAGE_URGENCIES), order_id=None,
                               sentiment="neutral")
    elif task == "moderation":
        answer = moderation_answer("ok", "a genuine product question")
    else:
        answer = reply
    return task_row("", task, user, answer, {})


def _near_copy(rng: random.Random, text: str) -> str:
    """A small edit of `text` that keeps shingle Jaccard >= `NEAR_COPY_AT_LEAST`."""
    for _ in range(20):
        edited = _near_edit(rng, text)
        if edited != text and jaccard(shingles(edited), shingles(text)) >= NEAR_COPY_AT_LEAST:
            return edited
    return text + "  "  # no small edit kept the text close enough: fall back to spacing only


# --------------------------------------------------------------------------------------------
# The raw file and its truth.
def _checked_rates(rates: dict | None) -> dict:
    rates = {**DEFAULT_RATES, **(rates or {})}
    for k, v in rates.items():
        if k not in DEFAULT_RATES:
            raise ValueError(f"rates: unknown defect {k!r}; choose from {sorted(DEFAULT_RATES)}")
        if not isinstance(v, (int, float)) or not 0 <= v <= 0.5:
            raise ValueError(f"rates[{k!r}]={v!r}: must be a number in [0, 0.5]")
    return rates


def _plant(rng: random.Random, clean: list[dict], chosen: dict, off_task: list[dict]) -> list[tuple]:
    """Entries (sort key, row, defect or None, index of the original or None), unsorted.

    A changed row keeps its original's key (its place); a copy gets a key after its original;
    an off-task row goes anywhere. The order of the loops is part of the data (one `rng`).
    """
    n = len(clean)
    entries = [(float(i), clean[i], None, None) for i in range(n)]
    for defect, change in (("malformed", _malform), ("empty", _emptied), ("too_long", _overlong)):
        for i in chosen[defect]:
            entries[i] = (entries[i][0], change(rng, clean[i]), defect, None)
    for i in chosen["pii"]:
        row = json.loads(json.dumps(clean[i]))
        row["messages"][1]["content"] = _with_pii(rng, row["messages"][1]["content"])
        entries[i] = (entries[i][0], row, "pii", None)
    for i in chosen["conflicting_label"]:
        entries[i] = (entries[i][0], clean[i], "conflicting_label", None)
        entries.append((rng.uniform(i + 0.1, n), _conflict(rng, clean[i]), "conflicting_label", i))
    for i in chosen["exact_duplicate"]:
        entries.append((rng.uniform(i + 0.1, n), clean[i], "exact_duplicate", i))
    for i in chosen["near_duplicate"]:
        row = json.loads(json.dumps(clean[i]))
        row["messages"][1]["content"] = _near_copy(rng, clean[i]["messages"][1]["content"])
        entries.append((rng.uniform(i + 0.1, n), row, "near_duplicate", i))
    for g in off_task:
        task = rng.choice(TASKS)
        entries.append((rng.uniform(0, n), _off_task(rng, task, g["messages"]), "off_task", None))
    return entries


def _number(entries: list[tuple]) -> tuple[list[dict], dict, list[str], dict]:
    """Sort the entries into the file order and give ids r0001...; return the rows and, per
    defect, the ids (drop reasons, pii) and copy id -> original id."""
    entries = sorted(entries, key=lambda e: e[0])
    width = len(str(len(entries)))
    raw_id, rows = {}, []
    for pos, (key, row, _defect, _src) in enumerate(entries):
        rid = f"r{pos + 1:0{width}d}"
        raw_id[key] = rid
        rows.append({**row, "id": rid})
    drop, pii, source = {r: [] for r in DROP_REASONS}, [], {}
    for row, (_key, _row, defect, src) in zip(rows, entries):
        if defect is None:
            continue
        (pii if defect == "pii" else drop[defect]).append(row["id"])
        if src is not None:
            source[row["id"]] = raw_id[float(src)]
    for ids in drop.values():
        ids.sort()
    return rows, drop, pii, source


def make_raw(seed: int = 0, counts: dict | None = None, rates: dict | None = None,
             ) -> tuple[list[dict], dict]:
    """Lesson 04. The raw dataset (clean rows + injected defects) and its ground truth.

    rates: fraction of the clean rows per defect (default `DEFAULT_RATES`; missing keys keep
    their default). Returns (rows, truth) where truth["drop"][reason] lists the raw ids a
    perfect curation drops for that reason, truth["transform"]["pii_redacted"] the ids whose
    text carries an e-mail or phone number, and truth["source"] maps each copy to its original.
    Copies always come after their original in the file, so "keep the first" is well defined.
    """
    rates = _checked_rates(rates)
    clean = generate_task_rows(seed, counts)
    n = len(clean)
    want = {k: int(round(v * n)) for k, v in rates.items()}
    if sum(want.values()) > n:
        raise ValueError(f"rates: {sum(want.values())} defects asked for only {n} clean rows; "
                         "lower the rates")
    rng = random.Random(f"{seed}:defects")
    picks = rng.sample(range(n), sum(want.values()))  # distinct rows: one defect per row
    chosen, at = {}, 0
    for k in sorted(want):
        chosen[k] = sorted(picks[at:at + want[k]])
        at += want[k]
    off_task = generate_general(seed, want["off_task"], stream="off_task")
    rows, drop, pii, source = _number(_plant(rng, clean, chosen, off_task))
    truth = {
        "seed": seed,
        "rates": {k: rates[k] for k in sorted(rates)},
        "n_clean": n,
        "n_raw": len(rows),
        "drop": drop,
        "transform": {"pii_redacted": sorted(pii)},
        "source": {k: source[k] for k in sorted(source)},
        "note": ("drop[reason] = raw ids a perfect curation removes for that reason "
                 "(conflicting_label: the original and its contradicting copy); "
                 "source = copy id -> original id."),
    }
    return rows, truth
