"""Lesson 04: clean rows for the course's three tasks, generated deterministically from a seed.

A made-up shop, *Nimbus*, sells twenty home gadgets (`catalog`, with two fact tables,
`facts`). Its inbox and forum give the three tasks of `course_utils.tasks`:

- ``triage``     a customer message in, a compact JSON object out;
- ``moderation`` a forum post in, ``label: <one of four>`` and ``reason: <short>`` out;
- ``policy_qa``  a question about prices and policies in, one sentence out that states a fact
                 of the fact table (``facts_version`` 1 or 2).

Two knobs produce the evaluation sets of later lessons:

- ``facts_version=2`` answers ``policy_qa`` from the second fact table (prices and policies
  changed): lesson 06 shows what a fine-tuned model does when facts change.
- ``shifted=True`` draws from new products and new wording (informal, new problems):
  lesson 06 measures drift on it.

The word tables live in `course_utils.dataset.vocab`; general chat in
`course_utils.dataset.general_chat`; the planted defects in `course_utils.dataset.defects`.

What this leaves out, on purpose: real customers' language is messier (spelling, other
languages, very long threads); the templates here are varied enough for a held-out split to
measure generalisation on a 4 M-parameter model, not to train a production system.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from course_utils.dataset.textsim import NearDupIndex
from course_utils.dataset.vocab import (DAYS, DETAILS, FEATURES, GOODS, GREETINGS, HANDLES,
                                        INSULTS, MODERATION_KINDS, NAMES, POLICIES, POST_TAILS,
                                        PRODUCTS, QA_POLICY, QA_PREFIXES, QA_PRICE,
                                        QA_SHIP_PRODUCT, QA_WARRANTY, RELATIONS,
                                        SENTIMENT_CUES, SHIFTED_GREETINGS, SHIFTED_MODERATION,
                                        SHIFTED_PRODUCTS, SHIFTED_QA_PREFIXES,
                                        SHIFTED_SENTIMENT_CUES, SHIFTED_TRIAGE_PROBLEMS,
                                        SHIFTED_URGENCY_CUES, SIGNOFFS, THINGS,
                                        TRIAGE_PROBLEMS, URGENCY_CUES, URLS, USERS, WHEN)
from course_utils.tasks import (SYSTEM_PROMPTS, TASKS, TRIAGE_CATEGORIES, TRIAGE_SENTIMENTS,
                                TRIAGE_URGENCIES)

# Clean rows are kept pairwise below this Jaccard similarity of their user messages (5-char
# shingles, see `course_utils.dataset.textsim`), so that the curation's near-duplicate
# threshold (0.8) separates planted near duplicates (>= 0.85) from distinct rows with a margin.
DISTINCT_BELOW = 0.7

DEFAULT_COUNTS = {"triage": 1000, "moderation": 800, "policy_qa": 600}


# --------------------------------------------------------------------------------------------
# The shop: products and facts.
@dataclass(frozen=True)
class Product:
    """Lesson 04. One product of the shop under one fact table (price in dollars)."""

    name: str
    kind: str
    price: int
    warranty_months: int


def catalog(*, facts_version: int = 1, shifted: bool = False) -> list[Product]:
    """Lesson 04. The shop's products under one fact table (1 or 2); `shifted` adds new ones."""
    _check_version(facts_version)
    rows = PRODUCTS + (SHIFTED_PRODUCTS if shifted else [])
    return [Product(n, k, (p1, p2)[facts_version - 1], (w1, w2)[facts_version - 1])
            for n, k, p1, p2, w1, w2 in rows]


def facts(facts_version: int = 1, *, shifted: bool = False) -> list[dict]:
    """Lesson 04 (written to data/tasks/facts_v*.json); lesson 06 retrieves from it.

    One record per fact: ``id``, ``text`` (a sentence usable as a retrieval document) and
    ``value`` (the string a correct answer must contain).
    """
    pol = POLICIES[_check_version(facts_version)]
    out = []
    for prod in catalog(facts_version=facts_version, shifted=shifted):
        slug = prod.name.lower().replace(" ", "-")
        out.append({"id": f"price/{slug}", "text": f"The {prod.name} costs ${prod.price}.",
                    "value": f"${prod.price}"})
        out.append({"id": f"warranty/{slug}",
                    "text": f"The {prod.name} has a {prod.warranty_months}-month warranty.",
                    "value": f"{prod.warranty_months}-month"})
    out += [
        {"id": "policy/return_days", "value": f"{pol['return_days']} days",
         "text": f"You can return items within {pol['return_days']} days of delivery."},
        {"id": "policy/shipping", "value": f"${pol['shipping_fee']}",
         "text": f"Standard shipping costs ${pol['shipping_fee']} and is free on orders over "
                 f"${pol['free_shipping_over']}."},
        {"id": "policy/free_shipping_over", "value": f"${pol['free_shipping_over']}",
         "text": f"Orders over ${pol['free_shipping_over']} ship free."},
        {"id": "policy/express", "value": f"${pol['express_fee']}",
         "text": f"Express shipping costs ${pol['express_fee']}."},
        {"id": "policy/refund_days", "value": f"{pol['refund_days']} business days",
         "text": f"Refunds are processed within {pol['refund_days']} business days."},
        {"id": "policy/support_hours", "value": pol["support_hours"],
         "text": f"Customer support is open {pol['support_hours']}."},
    ]
    return out


def _check_version(v) -> int:
    if v not in POLICIES:
        raise ValueError(f"facts_version={v!r}: must be one of {sorted(POLICIES)} "
                         "(1 = the table the training data uses, 2 = prices/policies changed)")
    return v


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def random_order_id(rng: random.Random) -> str:
    """Lesson 04. An order id as the shop writes it (``ORD-`` and five digits)."""
    return f"ORD-{rng.randint(10000, 99999)}"


# --------------------------------------------------------------------------------------------
# One example per task. Each returns (user text, assistant text, meta).
def _triage(rng: random.Random, *, shifted: bool) -> tuple[str, str, dict]:
    products = catalog(shifted=shifted)
    if shifted:  # mostly the new products
        products = products[len(PRODUCTS):] if rng.random() < 0.7 else products[:len(PRODUCTS)]
    category = rng.choice(TRIAGE_CATEGORIES)
    problems = TRIAGE_PROBLEMS[category]
    if shifted:
        problems = SHIFTED_TRIAGE_PROBLEMS[category] + (problems if rng.random() < 0.3 else [])
    template, has_product = rng.choice(problems)
    urgency = rng.choice(TRIAGE_URGENCIES)
    sentiment = rng.choice(TRIAGE_SENTIMENTS)
    prod = rng.choice(products).name if has_product else None
    needs_order = "{order}" in template.lower()
    order = random_order_id(rng) if (needs_order and rng.random() < 0.85) else None
    order_phrase = (rng.choice(["my order {o}", "order {o}", "order #{o}", "my order ({o})"])
                    .format(o=order) if order else rng.choice(["my order", "my last order"]))
    day = rng.choice(DAYS)
    fill = dict(p=prod, order=order_phrase, Order=_cap(order_phrase), n=rng.randint(4, 21),
                day=day, amt=rng.choice([19, 35, 49, 64, 89, 120, 149, 210]))
    problem = template.format(**fill)
    if not needs_order and category != "account" and rng.random() < 0.45:
        order = random_order_id(rng)
        problem += " " + rng.choice(["Order {o}.", "My order number is {o}.", "(order {o})",
                                     "Ref: {o}."]).format(o=order)
    cues_u = (SHIFTED_URGENCY_CUES if shifted else URGENCY_CUES)[urgency]
    cues_s = (SHIFTED_SENTIMENT_CUES if shifted else SENTIMENT_CUES)[sentiment]
    detail = "" if shifted else rng.choice(DETAILS).format(
        when=rng.choice(WHEN).format(day=rng.choice(DAYS)), rel=rng.choice(RELATIONS))
    urgency_cue = rng.choice(cues_u).format(day=day)
    sentiment_cue = rng.choice(cues_s)
    name = rng.choice(NAMES)
    greeting = rng.choice(SHIFTED_GREETINGS if shifted else GREETINGS)
    signoff = "" if shifted else rng.choice(SIGNOFFS).format(name=name)
    middle = [detail, urgency_cue, sentiment_cue]
    rng.shuffle(middle)
    user = _join(greeting, _cap(problem) if not shifted else problem, *middle, signoff)
    answer = triage_answer(category=category, product=prod, urgency=urgency,
                           order_id=order, sentiment=sentiment)
    return user, answer, {"category": category, "template": template}


def triage_answer(*, category, product, urgency, order_id, sentiment) -> str:
    """Lesson 04. The triage answer exactly as the data writes it (compact JSON, fixed key order)."""
    obj = {"category": category, "product": product, "urgency": urgency,
           "order_id": order_id, "sentiment": sentiment}
    return json.dumps(obj, separators=(",", ":"))


def moderation_answer(label: str, reason: str) -> str:
    """Lesson 04. The moderation answer exactly as the data writes it."""
    return f"label: {label}\nreason: {reason}"


def _moderation(rng: random.Random, *, shifted: bool) -> tuple[str, str, dict]:
    products = catalog(shifted=shifted)
    label, subtype, reason, templates = rng.choice(MODERATION_KINDS)
    if shifted and rng.random() < 0.7:
        templates = SHIFTED_MODERATION[subtype]
    p, p2 = rng.sample(products, 2)
    text = rng.choice(templates).format(
        p=p.name, p2=p2.name, kind=p.kind, thing=rng.choice(THINGS), feature=rng.choice(FEATURES),
        n=rng.randint(2, 9), url=rng.choice(URLS), goods=rng.choice(GOODS),
        code=rng.choice(["SAVE50", "FREE100", "VIP2024", "WIN"]) + str(rng.randint(1, 99)),
        handle=rng.choice(HANDLES), user=rng.choice(USERS), insult=rng.choice(INSULTS))
    text += rng.choice(POST_TAILS) if not shifted else ""
    return text, moderation_answer(label, reason), {"label": label, "subtype": subtype}


def _policy_qa(rng: random.Random, *, facts_version: int, shifted: bool) -> tuple[str, str, dict]:
    pol = POLICIES[facts_version]
    products = catalog(facts_version=facts_version, shifted=shifted)
    if shifted:
        products = products[len(PRODUCTS):]
    prod = rng.choice(products)
    kind = rng.choices(["price", "warranty", "ship_product", "policy", "free_over"],
                       weights=[30, 20, 15, 25, 10])[0]
    slug = prod.name.lower().replace(" ", "-")
    thr, fee = pol["free_shipping_over"], pol["shipping_fee"]
    if kind == "price":
        q = rng.choice(QA_PRICE).format(p=prod.name)
        a, fact_ids, value = f"The {prod.name} costs ${prod.price}.", [f"price/{slug}"], f"${prod.price}"
    elif kind == "warranty":
        q = rng.choice(QA_WARRANTY).format(p=prod.name)
        a = f"The {prod.name} has a {prod.warranty_months}-month warranty."
        fact_ids, value = [f"warranty/{slug}"], f"{prod.warranty_months}-month"
    elif kind == "ship_product":
        q = rng.choice(QA_SHIP_PRODUCT).format(p=prod.name)
        if prod.price > thr:
            a = f"The {prod.name} costs ${prod.price}, so it ships free (orders over ${thr})."
            value = "ships free"
        else:
            a = f"The {prod.name} costs ${prod.price}, so shipping is ${fee} (free over ${thr})."
            value = f"${fee}"
        fact_ids = [f"price/{slug}", "policy/free_shipping_over", "policy/shipping"]
    elif kind == "free_over":
        amount = rng.choice([20, 30, 40, 45, 60, 65, 70, 80, 90, 100, 120, 150])
        q = rng.choice([f"Is shipping free on a ${amount} order?",
                        f"My basket is ${amount}, do I get free shipping?",
                        f"Will a ${amount} order ship for free?"])
        if amount > thr:
            a, value = f"Yes, orders over ${thr} ship free.", "Yes"
        else:
            a, value = f"No, shipping is free only on orders over ${thr}; otherwise it is ${fee}.", "No"
        fact_ids = ["policy/free_shipping_over", "policy/shipping"]
    else:
        topic = rng.choice(sorted(QA_POLICY))
        q = rng.choice(QA_POLICY[topic])
        a, value = {
            "return_days": (f"You can return items within {pol['return_days']} days of delivery.",
                            f"{pol['return_days']} days"),
            "shipping": (f"Standard shipping costs ${fee} and is free on orders over ${thr}.", f"${fee}"),
            "express": (f"Express shipping costs ${pol['express_fee']}.", f"${pol['express_fee']}"),
            "refund_days": (f"Refunds are processed within {pol['refund_days']} business days.",
                            f"{pol['refund_days']} business days"),
            "support_hours": (f"Customer support is open {pol['support_hours']}.", pol["support_hours"]),
        }[topic]
        fact_ids = [f"policy/{topic}"]
    prefix = rng.choice(SHIFTED_QA_PREFIXES if shifted else QA_PREFIXES)
    q = prefix + (q[0].lower() + q[1:] if prefix.endswith((": ", ", ", "yo ", "so ")) else q)
    return q, a, {"fact_ids": fact_ids, "value": value, "facts_version": facts_version}




# --------------------------------------------------------------------------------------------
# Rows.
def task_row(rid: str, task: str, user: str, answer: str, meta: dict) -> dict:
    """Lesson 04. A task row: the task's system prompt, the user's text, the answer."""
    return {"id": rid, "task": task,
            "messages": [{"role": "system", "content": SYSTEM_PROMPTS[task]},
                         {"role": "user", "content": user},
                         {"role": "assistant", "content": answer}],
            "meta": meta}


class _DistinctGuard:
    """Keeps generated inputs pairwise below `DISTINCT_BELOW` Jaccard (LSH + exact check)."""

    def __init__(self):
        self.index = NearDupIndex(threshold=DISTINCT_BELOW)

    def admit(self, text: str) -> bool:
        if self.index.query(text):
            return False
        self.index.add(text)
        return True


def generate_task_rows(seed: int = 0, counts: dict | None = None, *, facts_version: int = 1,
                       shifted: bool = False, id_prefix: str = "") -> list[dict]:
    """Lesson 04. Clean rows for the three tasks, deterministic for a given seed.

    counts: rows per task (default `DEFAULT_COUNTS`). facts_version: 1 or 2, the fact table
    that policy_qa answers come from. shifted: new products and wording (the drift set).
    Rows are pairwise distinct: no two user messages reach `DISTINCT_BELOW` Jaccard.
    """
    counts = dict(DEFAULT_COUNTS if counts is None else counts)
    for task, n in counts.items():
        if task not in TASKS:
            raise ValueError(f"counts: unknown task {task!r}; choose from {TASKS}")
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"counts[{task!r}]={n!r}: must be a non-negative int")
    _check_version(facts_version)
    guard = _DistinctGuard()
    rows = []
    for task in TASKS:
        n = counts.get(task, 0)
        rng = random.Random(f"{seed}:{task}:{'shifted' if shifted else 'base'}")
        made, tries = 0, 0
        while made < n:
            tries += 1
            if tries > 50 * n + 1000:
                raise RuntimeError(
                    f"generate_task_rows: could only make {made} distinct {task} rows of {n} "
                    f"asked; ask for fewer (counts[{task!r}]) or add templates in vocab.py")
            if task == "triage":
                user, answer, meta = _triage(rng, shifted=shifted)
            elif task == "moderation":
                user, answer, meta = _moderation(rng, shifted=shifted)
            else:
                user, answer, meta = _policy_qa(rng, facts_version=facts_version, shifted=shifted)
            if not guard.admit(user):
                continue
            made += 1
            rows.append(task_row(f"{id_prefix}{task}-{made:05d}", task, user, answer, meta))
    order = random.Random(f"{seed}:order").sample(range(len(rows)), len(rows))
    return [rows[i] for i in order]
