"""Lesson 04: writing ``data/tasks``, every file of it, byte for byte from a seed.

    python -m course_utils.dataset.build --out data/tasks

writes the generated files (raw.jsonl and raw_truth.json from `make_raw`, general.jsonl, the
fact tables, the drift and facts-v2 test sets), the curated ones (train/validation/test.jsonl
and curation_report.json, from `curate` and `split`) and MANIFEST.json (size and SHA-256 of
each). JSON is written with a fixed key order, ``ensure_ascii=False`` and ``\\n`` line ends,
and every random draw comes from a seeded `random.Random`, so the bytes do not depend on the
machine or on ``PYTHONHASHSEED``.

The curated files also depend on the course tokenizer (``data/tiny_model/tokenizer.json``),
through the length cap: rebuilding the tiny model with another vocabulary can change the
token counts that ``curation_report.json`` quotes; and on ``data/general_requests.txt``, the
general side of the off-task check (`course_utils.dataset.off_task`).

What this leaves out: checking the written files (the tests compare them with the committed
ones) and any other seed's data (pass ``--seed``; the committed files use 0).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from course_utils.dataset.curation import curate
from course_utils.dataset.defects import make_raw
from course_utils.dataset.general_chat import generate_general
from course_utils.dataset.generate import facts, generate_task_rows
from course_utils.dataset.splits import split
from course_utils.dataset.tokens import course_token_counter

COMMAND = "python -m course_utils.dataset.build"
SHIFTED_COUNTS = {"triage": 150, "moderation": 120, "policy_qa": 80}
FACTS_V2_COUNT = 150
GENERAL_COUNT = 3000


def jsonl_bytes(rows) -> bytes:
    """Lesson 04. Rows as the bytes of a JSON Lines file (UTF-8, stable key order, '\\n')."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def json_bytes(obj) -> bytes:
    """Lesson 04. An object as the bytes of the course's JSON files (indent 1, final newline)."""
    return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def generated_files(seed: int = 0) -> dict[str, bytes]:
    """Lesson 04. The generated (not curated) files of ``data/tasks``, as bytes, by name.

    raw.jsonl + raw_truth.json (the defective data and what was injected), general.jsonl
    (chat to mix in), facts_v1/v2.json (the fact tables, new products included),
    test_shifted.jsonl (new products and wording, for drift) and test_facts_v2.jsonl (policy
    questions answered from v2).
    """
    raw, truth = make_raw(seed)
    return {
        "raw.jsonl": jsonl_bytes(raw),
        "raw_truth.json": json_bytes(truth),
        "general.jsonl": jsonl_bytes(generate_general(seed, GENERAL_COUNT)),
        # The tables cover the shifted set's new products too: retrieval can look them up,
        # a model fine-tuned on the training split never saw them.
        "facts_v1.json": json_bytes(facts(1, shifted=True)),
        "facts_v2.json": json_bytes(facts(2, shifted=True)),
        "test_shifted.jsonl": jsonl_bytes(generate_task_rows(
            seed + 1, SHIFTED_COUNTS, shifted=True, id_prefix="shifted-")),
        "test_facts_v2.jsonl": jsonl_bytes(generate_task_rows(
            seed + 2, {"policy_qa": FACTS_V2_COUNT}, facts_version=2, id_prefix="v2-")),
    }


def curated_files(raw: list[dict], general: list[dict], seed: int = 0, *, count_tokens=None,
                  progress: bool = False) -> dict[str, bytes]:
    """Lesson 04. train/validation/test.jsonl and curation_report.json from the raw rows."""
    result = curate(raw, reference=general, count_tokens=count_tokens, progress=progress)
    out = {f"{name}.jsonl": jsonl_bytes(rows) for name, rows in split(result.kept, seed=seed).items()}
    out["curation_report.json"] = json_bytes(result.report.to_dict(examples=2))
    return out


def build(out_dir, seed: int = 0, *, count_tokens=None, progress: bool = True) -> dict:
    """Lesson 04. Write every file of ``data/tasks`` and MANIFEST.json (sizes, sha256).

    The curation's length filter uses the course tokenizer unless `count_tokens` is given.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = generated_files(seed)
    raw = [json.loads(line) for line in files["raw.jsonl"].decode("utf-8").splitlines()]
    general = [json.loads(line) for line in files["general.jsonl"].decode("utf-8").splitlines()]
    files.update(curated_files(raw, general, seed, count_tokens=count_tokens, progress=progress))
    manifest = {"seed": seed, "command": f"{COMMAND} --seed {seed} --out <folder>", "files": {}}
    for name in sorted(files):
        (out / name).write_bytes(files[name])
        manifest["files"][name] = {"bytes": len(files[name]),
                                   "sha256": hashlib.sha256(files[name]).hexdigest()}
    (out / "MANIFEST.json").write_bytes(json_bytes(manifest))
    return manifest


def main(argv=None) -> None:
    """Lesson 04. Command line: ``python -m course_utils.dataset.build --out data/tasks``."""
    p = argparse.ArgumentParser(prog=COMMAND, description="Write the course's task datasets (lesson 04).")
    p.add_argument("--out", default="data/tasks", help="output folder (default data/tasks)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tokenizer", default=None,
                   help="tokenizer.json for the length filter (default: the course tokenizer)")
    a = p.parse_args(argv)
    count_tokens = course_token_counter(a.tokenizer) if a.tokenizer else None
    manifest = build(a.out, a.seed, count_tokens=count_tokens)
    for name, info in manifest["files"].items():
        print(f"{info['bytes']:>9,d}  {name}")


if __name__ == "__main__":
    main()
