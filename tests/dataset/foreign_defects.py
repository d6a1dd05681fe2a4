"""Defects the course's generator did not make, for measuring how the curation generalises.

Written from scratch for the tests: nothing here calls `course_utils.dataset.defects`,
`generate` or `general_chat`. Clean rows come from the committed ``data/tasks/train.jsonl``;
this module adds, with its own seeded random stream:

    off_task        questions and requests in other registers (cooking, sport, code, travel,
                    homework, long chatty e-mails) filed under a task, with a plausible answer
    email, phone    e-mail addresses and phone numbers in shapes the generator never writes
    card            payment card numbers (Luhn-valid, computed here), grouped or not
    iban            IBANs of several countries (mod-97 check digits computed here)
    ip              IPv4 addresses
    near_duplicate  a copy with one edit of another kind (two words swapped, a word dropped or
                    doubled, a "Re:" prefix, typographic quotes, a digit written as a word)

and decoys that must be left alone (order ids, prices, dates, times, version numbers,
16-digit references that fail the Luhn check).
`build_foreign` returns the rows and the truth: the ids per kind, and the planted value of each
PII row, so recall can be measured as "the value is gone and the right placeholder is there".
"""

from __future__ import annotations

import json
import random
import string

from course_utils.tasks import SYSTEM_PROMPTS, TASKS

# Off-task text in registers the course's general chat never uses (it asks short, checkable
# questions: arithmetic, capitals, opposites...). None of these is in any reference the
# curation is given.
OFF_TASK_TEXTS = [
    "What temperature should I bake sourdough at?",
    "Explain the offside rule",
    "can u recommend a good podcast about ancient rome",
    "Write a haiku about autumn leaves falling in the park.",
    "How do I reverse a linked list in Python without recursion?",
    "What's the difference between affect and effect? I always mix them up.",
    "Translate 'see you next summer' into Portuguese please",
    "Who painted the ceiling of the Sistine Chapel, and how long did it take?",
    "My tomato plants have yellow leaves at the bottom, what am I doing wrong?",
    "Is it a bad idea to run a half marathon with only three weeks of training?",
    "Summarise the plot of Hamlet in two sentences for my son's homework.",
    "Hi there, I'm planning a long weekend in Lisbon with two kids in May and wondered which "
    "neighbourhoods are nicest to stay in. Any tips appreciated! Maria",
    "why do cats knock things off tables lol",
    "Can you help me write a wedding toast for my best friend? She loves hiking and terrible puns.",
    "How does compound interest work if I add money every month?",
    "What's the best way to get red wine out of a white carpet?",
    "Give me a 20 minute bodyweight workout I can do in a hotel room.",
    "Hello, quick question unrelated to anything: how many moons does Saturn have these days?",
    "Which is healthier for breakfast, porridge or granola?",
    "Dear team, could you settle an argument at our office: is a hot dog a sandwich? Regards, Tom",
    "What chords do I need to play Wonderwall on guitar?",
    "Please explain photosynthesis like I'm ten years old.",
    "how long should i boil an egg for a runny yolk",
    "Recommend three science fiction novels for someone who loved Dune.",
    "What's the etiquette for tipping in restaurants in Japan?",
    "Is Pluto a planet again or not?",
    "Could you proofread this sentence: their going to the beach tomorrow weather or not it rains.",
    "I need a name for my new bakery, something cosy and a bit old-fashioned.",
    "What happened at the Battle of Hastings in 1066?",
    "Good evening. My grandson keeps talking about 'rizz', what does it mean?",
    "Explain how a mortgage offset account works in the UK.",
    "What's a good houseplant for a dark bathroom?",
    "SQL question: how do I select the second highest salary from an employees table?",
    "Tell me about the history of the Eiffel Tower in a few lines.",
    "How many calories do you burn cycling for an hour at a gentle pace?",
    "Any advice on learning to juggle three balls? I keep dropping the third one.",
    "what is the rule for i before e except after c, does it even work",
    "Plan me a vegetarian dinner party menu for six people on a small budget.",
    "Why does my sourdough starter smell like nail polish remover?",
    "Who won the football World Cup in 1986 and who scored the famous goals?",
]
OFF_TASK_ANSWERS = {
    "triage": lambda rng: json.dumps({"category": rng.choice(["technical", "account", "billing"]),
                                      "product": None, "urgency": "low", "order_id": None,
                                      "sentiment": "neutral"}, separators=(",", ":")),
    "moderation": lambda rng: "label: ok\nreason: an ordinary question",
    "policy_qa": lambda rng: "Sorry, I can only answer questions about our shop.",
}

EMAILS = ["maria.lopez+orders@mail.co.uk", "J.O'Neill@Example.IE", "k_tanaka@sub.example.jp",
          "BEN.SMITH@EXAMPLE.NET", "info@my-shop.example.org", "a.b.c.d@x.example",
          "sam99@example.travel", "lena.m@uni-example.de"]
PHONES = ["+49 30 901820", "(0)20 7946 0958", "+33 1 23 45 67 89", "555.123.4567",
          "+1-202-555-0173", "0044 20 7946 0321", "+91 98765 43210", "020-7946-0123",
          "+61 2 9876 5432", "06 12 34 56 78"]
IBAN_BBANS = {"GB": lambda r: "".join(r.choice(string.ascii_uppercase) for _ in range(4)) + _digits(r, 14),
              "DE": lambda r: _digits(r, 18), "FR": lambda r: _digits(r, 23),
              "NL": lambda r: "".join(r.choice(string.ascii_uppercase) for _ in range(4)) + _digits(r, 10),
              "ES": lambda r: _digits(r, 20)}
DECOYS = ["Order ORD-48291 was $1,299.00 on 2024-05-01.", "It cost 129.99 EUR at 10:30 on 01.05.2024.",
          "Firmware v2.14.3 did not help.", "Model NX-4000, serial SN 88231.",
          "My reference is 1234 5678 9012 3455.", "Invoice 20240501-7781 attached.",
          "Paid on 2024-05-01 10:30, order 55 items.", "Tracking 1Z999AA10123456784.",
          "I paid 45.50 + 12.00 shipping = 57.50 in total.", "Room 4.12, building B, floor 3."]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def luhn_ok(number: str) -> bool:
    """The Luhn check, written here from its definition (independent of the package)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_number(rng: random.Random) -> str:
    """A Luhn-valid number on a Visa, Mastercard, Amex or Discover prefix, in one of the shapes
    people type (grouped by 4, by dashes, Amex 4-6-5, or one block)."""
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15),
                                 ("37", 15), ("6011", 16)])
    body = prefix + _digits(rng, length - len(prefix) - 1)
    check = next(str(d) for d in range(10) if luhn_ok(body + str(d)))
    n = body + check
    if length == 15:
        return rng.choice([f"{n[:4]} {n[4:10]} {n[10:]}", n])
    groups = [n[i:i + 4] for i in range(0, 16, 4)]
    return rng.choice([" ".join(groups), "-".join(groups), n])


def iban(rng: random.Random) -> str:
    """A valid IBAN (ISO 13616 mod-97 check digits computed here), grouped by 4 or compact."""
    country = rng.choice(sorted(IBAN_BBANS))
    bban = IBAN_BBANS[country](rng)
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    code = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    return rng.choice([" ".join(code[i:i + 4] for i in range(0, len(code), 4)), code])


def ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


PII_MAKERS = {
    "email": (lambda r: r.choice(EMAILS), ["Drop me a line at {v} please.", "my email is {v}",
                                           "({v})", "Reply to {v}."]),
    "phone": (lambda r: r.choice(PHONES), ["You can ring me on {v}.", "mobile: {v}",
                                           "Call {v} after 5pm."]),
    "card": (card_number, ["I paid with card {v}, expiry 09/27.", "card no. {v}",
                           "Charged to {v} twice!"]),
    "iban": (iban, ["Please refund to IBAN {v}.", "my account: {v}", "IBAN {v} (joint account)"]),
    "ip": (ipv4, ["The app logs show my IP as {v}.", "connecting from {v} fails",
                  "Router says {v} is blocked."]),
}
PLACEHOLDERS = {"email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]", "iban": "[IBAN]",
                "ip": "[IP]"}


def _near_edit(rng: random.Random, text: str) -> tuple[str, str]:
    """One edit of a kind the generator does not make; returns (text, kind)."""
    words = text.split()
    kinds = ["swap", "drop", "double", "re", "quotes", "digit"]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "swap" and len(words) > 4:
            i = rng.randrange(1, len(words) - 2)
            w = words[:i] + [words[i + 1], words[i]] + words[i + 2:]
            return " ".join(w), kind
        if kind == "drop" and len(words) > 6:
            i = rng.randrange(1, len(words) - 1)
            return " ".join(words[:i] + words[i + 1:]), kind
        if kind == "double" and len(words) > 3:
            i = rng.randrange(len(words))
            return " ".join(words[:i + 1] + [words[i]] + words[i + 1:]), kind
        if kind == "re":
            return rng.choice(["Re: ", "Fwd: ", "RE: "]) + text, kind
        if kind == "quotes" and "'" in text:
            return text.replace("'", "\u2019"), kind
        if kind == "digit":
            for d, w in (("2", "two"), ("3", "three"), ("5", "five")):
                if f" {d} " in f" {text} ":
                    return f" {text} ".replace(f" {d} ", f" {w} ", 1).strip(), kind
    return "Re: " + text, "re"


def _with_user(row: dict, text: str, rid: str) -> dict:
    msgs = [dict(m) for m in row["messages"]]
    next(m for m in msgs if m["role"] == "user")["content"] = text
    return {**row, "id": rid, "messages": msgs}


def build_foreign(clean: list[dict], seed: int = 0, n_per_kind: int = 40) -> tuple[list[dict], dict]:
    """Clean rows plus foreign defects, shuffled; and the truth.

    truth["off_task"], truth["near_duplicate"]: ids; truth["pii"][kind]: {id: planted value};
    truth["decoy"]: ids of rows with a decoy appended (nothing in them may be redacted);
    truth["source"]: near copy id -> original id. Clean rows keep their ids; new ones are f-*.
    """
    rng = random.Random(f"foreign:{seed}")
    clean = [r for r in clean if r["task"] in TASKS
             and not any(p in _text(r) for p in PLACEHOLDERS.values())]
    pool = rng.sample(range(len(clean)), min(len(clean), 7 * n_per_kind))
    replaced = set(pool[:6 * n_per_kind])  # PII and decoy rows take their source's place
    rows = [r for i, r in enumerate(clean) if i not in replaced]
    truth = {"off_task": [], "near_duplicate": [], "pii": {k: {} for k in PII_MAKERS},
             "decoy": [], "source": {}, "near_kind": {}}
    for i, text in enumerate(OFF_TASK_TEXTS[:n_per_kind]):
        task = rng.choice(TASKS)
        rows.append({"id": f"f-off-{i:03d}", "task": task, "meta": {}, "messages": [
            {"role": "system", "content": SYSTEM_PROMPTS[task]},
            {"role": "user", "content": text},
            {"role": "assistant", "content": OFF_TASK_ANSWERS[task](rng)}]})
        truth["off_task"].append(rows[-1]["id"])
    picks = iter(pool)
    for kind, (make, phrasings) in PII_MAKERS.items():
        for i in range(n_per_kind):
            src = clean[next(picks)]
            value = make(rng)
            text = f"{_user(src)} {rng.choice(phrasings).format(v=value)}"
            rid = f"f-{kind}-{i:03d}"
            rows.append(_with_user(src, text, rid))
            truth["pii"][kind][rid] = value
    for i in range(n_per_kind):
        src = clean[next(picks)]
        rid = f"f-decoy-{i:03d}"
        rows.append(_with_user(src, f"{_user(src)} {DECOYS[i % len(DECOYS)]}", rid))
        truth["decoy"].append(rid)
    for i in range(n_per_kind):
        src = clean[next(picks)]
        text, kind = _near_edit(rng, _user(src))
        rid = f"f-near-{i:03d}"
        rows.append(_with_user(src, text, rid))
        truth["near_duplicate"].append(rid)
        truth["source"][rid] = src["id"]
        truth["near_kind"][rid] = kind
    # Copies after their originals (so "keep the first" keeps the clean row); the rest anywhere.
    copies = [r for r in rows if r["id"] in truth["source"]]
    others = [r for r in rows if r["id"] not in truth["source"]]
    rng.shuffle(others)
    return others + copies, truth


def _user(row: dict) -> str:
    return next(m["content"] for m in row["messages"] if m["role"] == "user")


def score_foreign(rows_in: list[dict], kept: list[dict], dropped: dict[str, list[str]],
                  truth: dict) -> dict:
    """Recall and precision per kind, from curate's kept rows and dropped ids per reason.

    off_task, near_duplicate: the ids dropped for that reason vs the planted ids. A PII kind:
    a planted row counts as found when it is kept, the planted value is gone and the kind's
    placeholder was added; precision is over every kept row the curation added that
    placeholder to. Decoys: how many decoy rows the curation changed at all.
    """
    out = {}
    for reason in ("off_task", "near_duplicate"):
        out[reason] = _pr(set(truth[reason]), set(dropped.get(reason, [])))
    before = {r["id"]: _text(r) for r in rows_in}
    after = {r["id"]: _text(r) for r in kept}
    for kind, values in truth["pii"].items():
        ph = PLACEHOLDERS[kind]
        added = {rid for rid, t in after.items() if t.count(ph) > before[rid].count(ph)}
        planted = {rid for rid in values if rid in after}
        found = {rid for rid in added & planted if values[rid] not in after[rid]}
        out[kind] = {**_pr(planted, added, found),
                     "value_left": sum(values[rid] in after[rid] for rid in planted)}
    decoys = [rid for rid in truth["decoy"] if rid in after]
    out["decoy"] = {"rows": len(decoys), "changed": sum(after[r] != before[r] for r in decoys)}
    return out


def _text(row: dict) -> str:
    return "\n".join(m["content"] for m in row["messages"])


def _pr(planted: set, flagged: set, correct: set | None = None) -> dict:
    """Counts, recall and precision; `correct` defaults to planted & flagged."""
    tp = len(planted & flagged if correct is None else correct)
    return {"planted": len(planted), "flagged": len(flagged), "correct": tp,
            "recall": tp / len(planted) if planted else 1.0,
            "precision": tp / len(flagged) if flagged else 1.0}
