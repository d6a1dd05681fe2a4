"""Lesson 04: the learner-style file, ``data/learner_tickets.csv``: data the course did not make,
in the shape a learner brings it.

A help-desk export of *Pedalworks*, a bicycle shop (word tables in
`course_utils.dataset.learner_vocab`), written as Excel writes a CSV and as exports get
merged: a UTF-8 byte-order mark, CRLF line ends, nine columns of which two matter
(``customer_message`` and ``agent_reply``), quoted fields with commas, doubled quotes and line
breaks, typographic quotes next to straight ones, accented names, the header repeated where
three monthly exports were pasted together, a few lines saved in Windows-1252 instead of UTF-8,
and a few lines where a comma was typed into an unquoted field. Inside the rows: blank cells,
exact and near copies (a ticket re-sent with a "Re:" or a fixed typo), one message answered two
ways, personal data (e-mail addresses, phone numbers, card numbers, IBANs, IP addresses),
pasted e-mail threads, and messages that have nothing to do with bicycles.

Made by this module alone, seeded and byte for byte reproducible; it calls nothing of the
course's generator (`generate`, `general_chat`, `defects`), so the curation meets text it was
not built around. `learner_tickets(seed)` returns the file's bytes and the truth (which line
carries what, by the reason the curation should give); the command

    python -m course_utils.dataset.learner_file

writes ``data/learner_tickets.csv`` and ``data/learner_tickets_truth.json``.

What this leaves out: other delimiters (semicolons, tabs), spreadsheets (.xlsx) and quoting
mistakes that swallow the rest of the file (the loader refuses those; see the tests).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from pathlib import Path

from course_utils.dataset import learner_vocab as V
from course_utils.files import parse_json, read_text
from course_utils.errors import DataFileError
from course_utils.paths import data_path

LEARNER_FILE = data_path("learner_tickets.csv")
TRUTH_FILE = data_path("learner_tickets_truth.json")
HEADER = ["ticket_id", "created_at", "channel", "customer_message", "agent_reply", "agent",
          "tags", "csat", "internal_note"]
N_CLEAN = 2300
PLANTED = {"off_task": 45, "exact_duplicate": 60, "near_duplicate": 50, "conflicting_label": 15,
           "blank_message": 15, "blank_reply": 20, "too_long": 15, "cp1252_line": 8,
           "extra_comma_line": 3}
DISTINCT_WORDS = 0.6
PII_COUNTS = {"email": 30, "phone": 30, "card": 20, "iban": 20, "ip": 20}


# --------------------------------------------------------------------------------------------
# Rows.
def _order(rng: random.Random) -> str:
    n = rng.randint(100000, 999999)
    return rng.choice([f"PW-{n}", f"#PW{n}", f"order {n}", f"PW-{n}"])


def _slots(rng: random.Random, name: str) -> dict:
    """One ticket's particulars, shared by the message and its reply."""
    bike, bike2 = rng.sample(V.BIKES, 2)
    size, alt = rng.sample(V.SIZES, 2)
    return dict(bike=bike, bike2=bike2, part=rng.choice(V.PARTS), size=size, alt_size=alt,
                service=rng.choice(V.SERVICES), order=_order(rng), store=rng.choice(V.STORES),
                when=rng.choice(V.WHEN), n=rng.randint(2, 21), name=name)


def _message(rng: random.Random, template: str, slots: dict) -> str:
    body = template.format(**slots)
    name = slots["name"]
    if rng.random() < 0.12:  # typed in a hurry
        body = body.lower().rstrip(".?!")
    if rng.random() < 0.15:
        body = body.replace("'", "\u2019")  # typographic apostrophes, as phones type them
    parts = [rng.choice(V.GREETINGS), body, rng.choice(V.MOODS),
             rng.choice(V.SIGNOFFS).format(name=name)]
    sep = "\n\n" if rng.random() < 0.08 else " "  # two paragraphs
    return sep.join(p for p in parts if p)


def _record(rng: random.Random, k: int, message: str, reply: str, category: str) -> dict:
    day = 1 + k * 90 // 2600
    month, dom = 1 + (day - 1) // 30, 1 + (day - 1) % 30
    note = rng.choice(["", "", "", "called back, no answer", 'customer said "urgent", escalated',
                       "refund approved by Theo, see thread", "dup?"])
    return {"ticket_id": f"T{24000 + k}", "created_at": f"2024-{month:02d}-{dom:02d} "
            f"{rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}",
            "channel": rng.choice(["email", "chat", "webform"]), "customer_message": message,
            "agent_reply": reply, "agent": rng.choice(V.AGENTS),
            "tags": ";".join(rng.sample([category, "vip", "follow-up", "app", "store"], rng.randint(1, 2))),
            "csat": rng.choice(["", "1", "2", "3", "4", "5", "5", "N/A"]), "internal_note": note,
            "defect": None, "source": None}


def _words(text: str) -> frozenset:
    return frozenset("".join(ch if ch.isalpha() else " " for ch in text.lower()).split())


def _clean(rng: random.Random, n: int) -> list[dict]:
    """Distinct tickets: two messages from one template share under `DISTINCT_WORDS` of their
    words (Jaccard of word sets), so the file holds no accidental copies."""
    rows, by_template = [], {}
    while len(rows) < n:
        category = rng.choice(sorted(V.TICKETS))
        message_t, reply_t = rng.choice(V.TICKETS[category])
        slots = _slots(rng, rng.choice(V.NAMES))
        message = _message(rng, message_t, slots)
        words, seen = _words(message), by_template.setdefault(message_t, [])
        if any(len(words & w) >= DISTINCT_WORDS * len(words | w) for w in seen):
            continue
        seen.append(words)
        reply = reply_t.format(**slots)
        rows.append(_record(rng, len(rows), message, reply, category))
    return rows


# --------------------------------------------------------------------------------------------
# Personal data, written by this module (the check digits are computed here).
def _card(rng: random.Random) -> str:
    body = rng.choice(["4", "4929", "53", "2221", "6011"])
    body += "".join(str(rng.randint(0, 9)) for _ in range(15 - len(body)))
    total = 0
    for i, ch in enumerate(reversed(body)):  # the check digit will sit to the right
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    n = body + str((10 - total % 10) % 10)
    return rng.choice([" ".join(n[i:i + 4] for i in range(0, 16, 4)), n])


def _iban(rng: random.Random) -> str:
    country, bban = rng.choice([("GB", "NWBK" + "".join(str(rng.randint(0, 9)) for _ in range(14))),
                                ("IE", "AIBK" + "".join(str(rng.randint(0, 9)) for _ in range(14))),
                                ("NL", "INGB" + "".join(str(rng.randint(0, 9)) for _ in range(10)))])
    check = 98 - int("".join(str(int(ch, 36)) for ch in bban + country + "00")) % 97
    code = f"{country}{check:02d}{bban}"
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4)) if rng.random() < 0.6 else code


PII = {
    "email": (lambda r: f"{r.choice(['jo', 'sam.k', 'r_patel', 'mike'])}{r.randint(1, 999)}@"
                        f"{r.choice(['example.com', 'mail.example.org', 'post.example.co.uk'])}",
              ["My email is {v}.", "Reply to {v} please", "({v})"]),
    "phone": (lambda r: r.choice([f"07700 900{r.randint(100, 999)}", f"+44 7700 900{r.randint(100, 999)}",
                                  f"0161 496 0{r.randint(100, 999)}", f"(020) 7946 0{r.randint(100, 999)}"]),
              ["Call me on {v}.", "mob {v}", "My number is {v} if easier."]),
    "card": (_card, ["I paid with {v}.", "Card used: {v}", "charged to my card {v} twice"]),
    "iban": (_iban, ["Please refund to {v}.", "My IBAN is {v}", "bank details: {v}"]),
    "ip": (lambda r: f"{r.choice([81, 86, 92, 176, 212])}.{r.randint(0, 255)}.{r.randint(0, 255)}."
                     f"{r.randint(1, 254)}",
           ["The app says my IP {v} is blocked.", "login from {v} fails", "(ip: {v})"]),
}


# --------------------------------------------------------------------------------------------
# Defects: each changes a copy, or adds a record.
def _near_edit(rng: random.Random, message: str) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return "Re: " + message
    if kind == 1:
        return message.rstrip(".!") + " ??"
    if kind == 2:
        return message.replace(" ", "  ", 1).replace(",", "", 1)
    return message + " (2nd try)"


def _in_cp1252(rec: dict) -> bool:
    """Has an accent or a typographic quote, and all of it can be written in Windows-1252."""
    text = "".join(rec[h] for h in HEADER)
    try:
        return not text.isascii() and bool(text.encode("cp1252"))
    except UnicodeEncodeError:
        return False


def _plant(rng: random.Random, rows: list[dict]) -> list[dict]:
    picks = iter(rng.sample(range(len(rows)), len(rows) // 2))

    def take(kind: str, n: int, ok=lambda r: True) -> list[dict]:
        out = []
        while len(out) < n:
            r = rows[next(picks)]
            if ok(r):
                r["defect"] = kind
                out.append(r)
        return out

    for kind, n in PII_COUNTS.items():
        make, phrasings = PII[kind]
        for r in take(f"pii:{kind}", n):
            r["customer_message"] += " " + rng.choice(phrasings).format(v=make(rng))
    for r in take("blank_message", PLANTED["blank_message"]):
        r["customer_message"] = rng.choice(["", " ", "  "])
    for r in take("blank_reply", PLANTED["blank_reply"]):
        r["agent_reply"] = ""
    for r in take("too_long", PLANTED["too_long"]):
        slots = _slots(rng, "")
        thread = [line.format(**slots) for line in V.THREAD_LINES for _ in range(rng.randint(2, 3))]
        r["customer_message"] += "\n\n" + "\n".join(thread)
    extra = []
    for text in V.OFF_TASK[:PLANTED["off_task"]]:
        rec = _record(rng, rng.randrange(len(rows)), text, rng.choice(V.OFF_TASK_REPLIES), "other")
        rec["defect"] = "off_task"
        extra.append((rng.uniform(0, len(rows)), rec))
    for kind, n in (("exact_duplicate", PLANTED["exact_duplicate"]),
                    ("near_duplicate", PLANTED["near_duplicate"]),
                    ("conflicting_label", PLANTED["conflicting_label"])):
        for i in [rows.index(r) for r in take(f"source:{kind}", n)]:
            copy = {**rows[i], "defect": kind, "source": rows[i]}
            if kind == "near_duplicate":
                copy["customer_message"] = _near_edit(rng, rows[i]["customer_message"])
            elif kind == "conflicting_label":
                other = [c for c in V.TICKETS if c not in rows[i]["tags"]]
                copy["agent_reply"] = rng.choice(V.TICKETS[rng.choice(other)])[1].format(**_slots(rng, ""))
            extra.append((rng.uniform(i + 0.5, len(rows)), copy))
    take("cp1252_line", PLANTED["cp1252_line"], ok=_in_cp1252)
    take("extra_comma_line", PLANTED["extra_comma_line"], ok=lambda r: "\n" not in r["customer_message"])
    entries = [(float(i), r) for i, r in enumerate(rows)] + extra
    return [r for _, r in sorted(entries, key=lambda e: e[0])]


# --------------------------------------------------------------------------------------------
# The file and its truth.
def _csv_line(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(fields)
    return buf.getvalue()


def _encoded(rec: dict) -> bytes:
    fields = [rec[h] for h in HEADER]
    if rec["defect"] == "extra_comma_line":  # typed into the file by hand: no quotes
        text = rec["customer_message"].replace('"', "").replace("\n", " ")
        fields[HEADER.index("customer_message")] = text if "," in text else "Hi, " + text
        return (",".join(f.replace(",", ";") if i != 3 else f for i, f in enumerate(fields))
                + "\r\n").encode("utf-8")
    line = _csv_line(fields)
    if rec["defect"] == "cp1252_line":
        return line.encode("cp1252")
    return line.encode("utf-8")


def learner_tickets(seed: int = 0) -> tuple[bytes, dict]:
    """Lesson 04. The bytes of ``data/learner_tickets.csv`` and the truth about them.

    truth["drop"][reason]: the row ids ("line N", the line a record starts on, as
    `course_utils.dataset.own_data.load_dataset_rows` names them) a careful curation drops for
    that reason ("load" for lines that cannot be read: repeated headers, Windows-1252 bytes, an
    extra field); truth["transform"]["pii_redacted"]: the ids whose message carries personal
    data, and truth["pii"][kind] the same by kind.
    """
    rng = random.Random(f"learner:{seed}")
    rows = _plant(rng, _clean(rng, N_CLEAN))
    out = [b"\xef\xbb\xbf", _csv_line(HEADER).encode("utf-8")]
    line, ids = 2, {}
    truth = {"drop": {r: [] for r in ("load", "empty", "off_task", "too_long", "exact_duplicate",
                                      "conflicting_label", "near_duplicate")},
             "transform": {"pii_redacted": []}, "pii": {k: [] for k in PII_COUNTS}}
    for k, rec in enumerate(rows):
        if k in (len(rows) // 3, 2 * len(rows) // 3):  # the next month's export, header and all
            out.append(_csv_line(HEADER).encode("utf-8"))
            truth["drop"]["load"].append(f"line {line}")
            line += 1
        data = _encoded(rec)
        rid = f"line {line}"
        ids[id(rec)] = rid
        d = rec["defect"] or ""
        if d in ("cp1252_line", "extra_comma_line"):
            truth["drop"]["load"].append(rid)
        elif d in ("blank_message", "blank_reply"):
            truth["drop"]["empty"].append(rid)
        elif d.startswith("pii:"):
            truth["transform"]["pii_redacted"].append(rid)
            truth["pii"][d[4:]].append(rid)
        elif d in truth["drop"]:
            truth["drop"][d].append(rid)
        elif d == "source:conflicting_label":
            truth["drop"]["conflicting_label"].append(rid)
        out.append(data)
        line += data.count(b"\n")
    truth["n_records"] = len(rows) + 2
    truth["source"] = {ids[id(r)]: ids[id(r["source"])] for r in rows if r["source"] is not None}
    for v in truth["drop"].values():
        v.sort(key=lambda s: int(s.split()[1]))
    return b"".join(out), truth


def load_learner_truth(path=None) -> dict:
    """Lesson 04. What the learner-style file carries, line by line (`learner_tickets`'s truth)."""
    path = path or TRUTH_FILE
    truth = parse_json(read_text(path, hint="rebuild it with `python -m course_utils.dataset."
                                            "learner_file`"), path)
    for k in ("drop", "transform", "pii"):
        if not isinstance(truth, dict) or not isinstance(truth.get(k), dict):
            raise DataFileError(path, None, k, "missing or not an object; rebuild the file with "
                                               "`python -m course_utils.dataset.learner_file`.")
    return truth


def main(argv=None) -> None:
    """Lesson 04. Command line: write the learner-style file and its truth into data/."""
    p = argparse.ArgumentParser(prog="python -m course_utils.dataset.learner_file",
                                description="Write data/learner_tickets.csv and its truth (lesson 04).")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(LEARNER_FILE), help=f"the CSV (default {LEARNER_FILE})")
    a = p.parse_args(argv)
    data, truth = learner_tickets(a.seed)
    out = Path(a.out)
    out.write_bytes(data)
    out.with_name(out.stem + "_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8", newline="\n")
    print(f"{len(data):,} bytes, {truth['n_records']:,} records -> {out}")


if __name__ == "__main__":
    main()
