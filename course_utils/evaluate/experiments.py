"""Lesson 06: the seeds' claims as experiments, measured on held-out rows with intervals.

    training     `training_mix` (the three tasks, policy questions half with retrieved facts),
                 `train_adapter` (course_utils.training.run.train under runs/06_<preset>/<name>, reused
                 when the same rows and steps were trained before), `load_adapter`
    claims       `facts_experiment`   fine-tuning teaches how, retrieval teaches what (facts v1 at
                                      training time, v2 at evaluation)
                 `noisy_experiment`   the same budget on the curated set vs the raw noisy set
                 `epochs_experiment`  held-out loss and metrics epoch by epoch
                 `drift_experiment`   the adapter on the later, shifted test set
    verdicts     `verdict` (what a paired difference shows), `epochs_verdict`, `format_note`

Sizes come from `eval_sizes(profile)`: tiny CPU runs use a few dozen rows per task, so the
intervals are wide, and the lesson reads them as such.

What this leaves out: retraining schedules (the drift experiment measures the drop, it does not
simulate a retraining calendar) and learning-rate sweeps.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_utils.dataset.load import load_facts, load_raw, load_split
from course_utils.evaluate.retrieval import FactRetriever, with_facts
from course_utils.evaluate.stats import bootstrap_ci, paired_test, unpaired_diff
from course_utils.evaluate.systems import Context, evaluate_systems, pooled, results_table
from course_utils.model.load import base_identity, load_model
from course_utils.model.profiles import choose_profile, run_sizes
from course_utils.model.stack import peft_args
from course_utils.model.base_check import check_adapter_base
from course_utils.paths import run_dir
from course_utils.tasks import TASKS

# Lesson 05's `train` and peft's `PeftModel` are imported inside the functions that use them:
# they load torch, peft, trl and bitsandbytes (about 10 s, and bitsandbytes prints a CPU notice
# before `quiet()` can silence it), while `eval_sizes`, `heldout` and the verdicts need none.


@dataclass(frozen=True)
class EvalSizes:
    """Lesson 06. How many held-out rows per task, training rows and steps an experiment uses."""

    per_task: int        # held-out rows per task for the main table
    train_rows: int      # rows in the main adapter's training set (one epoch at `steps`)
    steps: int           # optimizer steps of the main adapter
    epoch_rows: int      # training rows of the epochs experiment
    epochs: int          # epochs of the epochs experiment
    batch_size: int = 16


def eval_sizes(profile) -> EvalSizes:
    """Lesson 06. Small on the tiny CPU profile (a notebook run of a few minutes), real on a GPU."""
    rs = run_sizes(profile)
    if profile.name == "smol":
        # The profile's 40 steps x batch 8 = 320 rows, one epoch: the three answer formats are
        # learned (tests/evaluate/test_smol_real.py). 20 rows per task x 5 systems of greedy
        # generation. Epochs: 40 rows = 5 steps an epoch, 4 epochs.
        return EvalSizes(per_task=20, train_rows=rs.max_steps * rs.batch_size, steps=rs.max_steps,
                         epoch_rows=5 * rs.batch_size, epochs=4, batch_size=20)
    if profile.is_tiny:
        # 100 steps x batch 8 = 800 rows: one epoch of the training mix, ~80 s on 2 CPU cores
        # (at 30 steps the adapter has not learned the answer formats yet: every score is 0).
        # 20 rows per task x 5 systems: ~25 s of generation; intervals about +-0.2 at p=0.5.
        # Epochs: 40 rows = 5 steps an epoch, 5 epochs.
        return EvalSizes(per_task=20, train_rows=100 * rs.batch_size, steps=100,
                         epoch_rows=5 * rs.batch_size, epochs=5)
    # GPU: the full test split (~70-90 rows per task), one epoch over the curated train split.
    return EvalSizes(per_task=90, train_rows=1700, steps=-1, epoch_rows=400, epochs=4, batch_size=32)


def heldout(split: str = "test", per_task: int = 24, tasks=TASKS) -> list[dict]:
    """Lesson 06. The first `per_task` rows of each task of a held-out split (file order)."""
    rows = load_split(split)
    out = []
    for t in tasks:
        rs = [r for r in rows if r["task"] == t][:per_task]
        if not rs:
            raise ValueError(f"split {split!r} holds no {t} rows; tasks there: {sorted({r['task'] for r in rows})}")
        out += rs
    return out


def training_mix(n: int, *, rows=None, facts_version: int = 1, seed: int = 0) -> list[dict]:
    """Lesson 06. `n` training rows of the three tasks, shuffled with `seed`; every second policy
    question carries the 3 best-matching facts of table `facts_version` in its system message,
    so the adapter learns to *use* a facts line (the "how") without depending on one."""
    rows = list(load_split("train") if rows is None else rows)
    random.Random(seed).shuffle(rows)
    rows = [r for r in rows if r.get("task") in TASKS][:n]
    if len(rows) < n:
        raise ValueError(f"training_mix(n={n}): only {len(rows)} task rows available")
    facts = FactRetriever(load_facts(facts_version))
    out, k = [], 0
    for r in rows:
        if r["task"] == "policy_qa":
            k += 1
            if k % 2 == 0:
                user = r["messages"][-2]["content"]
                r = dict(r, messages=with_facts(r, facts.top(user, 3)) + [r["messages"][-1]])
        out.append(r)
    return out


def _fingerprint(rows, profile, **settings) -> str:
    """Rows, settings and the base model (a rebuilt base must not reuse old adapters)."""
    h = hashlib.sha256(json.dumps([[m["content"] for m in r["messages"]] for r in rows]).encode())
    h.update(json.dumps(settings, sort_keys=True).encode())
    h.update(base_identity(profile.name).encode())
    return h.hexdigest()[:16]


def runs_dir(profile) -> Path:
    """Lesson 06. runs/06_<preset> at the repository root (git-ignored)."""
    return run_dir("06", profile.name)


def train_adapter(name: str, train_rows, *, profile=None, steps: int = 60, eval_rows=None,
                  save_steps: int | None = None, seed: int = 0, reuse: bool = True,
                  folder: Path | None = None, settings: dict | None = None, **train_kwargs) -> dict:
    """Lesson 06. Train one adapter with lesson 05's `train` under runs/06_<preset>/<name> (or
    `folder`/<name>).

    With `reuse`, a finished run on the same rows, steps, seed, `settings` (anything else the
    caller wants the fingerprint to cover) and `train_kwargs` (passed to `train`, e.g.
    quantization="none", max_len) is not trained again.
    Returns {"adapter_dir", "log_history", "summary", "reused"}."""
    from course_utils.training.run import train  # heavy: see the note at the imports

    profile = profile or choose_profile()
    out = (folder or runs_dir(profile)) / name
    fp = _fingerprint(train_rows, profile, steps=steps, seed=seed, save_steps=save_steps,
                      settings=settings, **{k: repr(v) for k, v in train_kwargs.items()})
    mark = out / "eval_fingerprint.txt"
    if reuse and mark.is_file() and mark.read_text() == fp and (out / "adapter").is_dir():
        return {"adapter_dir": out / "adapter", "reused": True,
                "log_history": json.loads((out / "log_history.json").read_text()),
                "summary": json.loads((out / "run_summary.json").read_text())}
    # A run of the same fingerprint that was stopped (the stop button, a preemption) continues
    # from its last checkpoint; anything else in the folder is cleared first (safe_delete).
    started = out.parent / f"{out.name}.started"   # beside the run: its folder is the trainer's
    again = reuse and started.is_file() and started.read_text() == fp and any(out.glob("checkpoint-*"))
    if not again:
        out.parent.mkdir(parents=True, exist_ok=True)
        started.write_text(fp)
    summary = train(profile, out, train_rows=train_rows,
                    eval_rows=eval_rows or heldout("validation", 8), max_steps=steps,
                    save_steps=save_steps or (steps if steps > 0 else None), seed=seed,
                    overwrite=not again, resume="auto" if again else False, **train_kwargs)
    if summary.adapter_dir is None:
        raise RuntimeError(f"training {name!r} stopped at step {summary.global_step} of "
                           f"{summary.max_steps} (interrupted); run the cell again")
    mark.write_text(fp)
    return {"adapter_dir": Path(summary.adapter_dir), "reused": False,
            "log_history": json.loads((out / "log_history.json").read_text()),
            "summary": json.loads((out / "run_summary.json").read_text())}


def load_adapter(adapter_dir, profile=None, adapter_name: str = "default", quantization: str = "nf4"):
    """Lesson 06. (PeftModel, tokenizer): the profile's 4-bit base (or `quantization="none"`: the
    unquantized base) with the adapter on top, in eval mode. Base systems switch the adapter off
    on this same model."""
    profile = profile or choose_profile()
    check_adapter_base(adapter_dir, profile.name)   # an adapter of another course base: refused by name
    base, tok = load_model(profile.name, quantization, profile)   # calls quiet() before peft loads
    from peft import PeftModel  # heavy: see the note at the imports

    model = PeftModel.from_pretrained(base, str(adapter_dir), **peft_args.adapter_kwargs(adapter_name))
    model.eval()
    return model, tok


# --------------------------------------------------------------------------------------------
# The claims


def facts_experiment(model, tokenizer, *, per_task: int = 24, batch_size: int = 16) -> dict:
    """Lesson 06. Claim: fine-tuning teaches how, retrieval teaches what. The adapter was trained
    while table v1 held; the questions are asked after the facts changed (v2). Systems: the
    adapter alone, the adapter given the 3 best-matching v2 facts, the base given the same facts.
    Also the adapter alone on v1 questions (what it could learn). Returns tables and a paired test."""
    pool = load_split("train")
    v2 = [r for r in load_split("test_facts_v2") if r["task"] == "policy_qa"][:per_task]
    v1 = heldout("test", per_task, tasks=("policy_qa",))
    systems = ["adapter", "adapter + facts", "base + facts"]
    ev2 = evaluate_systems(model, tokenizer, v2, systems, Context(pool, facts=load_facts(2)),
                           batch_size=batch_size)
    ev1 = evaluate_systems(model, tokenizer, v1, ["adapter", "adapter + facts"],
                           Context(pool, facts=load_facts(1)), batch_size=batch_size)
    s = {k: ev2.scores[k]["policy_qa"]["value_correct"] for k in systems}
    return {"v2": ev2, "v1": ev1, "table_v2": results_table(ev2), "table_v1": results_table(ev1),
            "paired": paired_test(s["adapter + facts"], s["adapter"])}


def raw_training_rows(n: int, seed: int = 0) -> list[dict]:
    """Lesson 06. `n` rows of the raw, defective set (lesson 04's input), shuffled with `seed`.
    Only rows the trainer can read at all are kept (a list of role/content messages ending with
    the assistant); duplicates, wrong labels, malformed answers, PII and overlong rows stay in."""
    def readable(r):
        m = r.get("messages")
        return (r.get("task") in TASKS and isinstance(m, list) and len(m) >= 2
                and all(isinstance(x, dict) and isinstance(x.get("content"), str) and x.get("role")
                        in ("system", "user", "assistant") for x in m)
                and m[-1]["role"] == "assistant" and m[-1]["content"].strip())

    rows = [r for r in load_raw() if readable(r)]
    random.Random(seed).shuffle(rows)
    return rows[:n]


def noisy_experiment(clean_model, noisy_model, tokenizer, rows, *, batch_size: int = 16) -> dict:
    """Lesson 06. Claim: clean data beats noisy data. Two adapters trained for the same steps on
    the same number of rows, curated vs raw; both answer the same held-out rows."""
    ev_c = evaluate_systems(clean_model, tokenizer, rows, ["adapter"], batch_size=batch_size)
    ev_n = evaluate_systems(noisy_model, tokenizer, rows, ["adapter"], batch_size=batch_size)
    tc, tn = results_table(ev_c), results_table(ev_n)
    for r in tc:
        r["system"] = "curated"
    for r in tn:
        r["system"] = "raw (noisy)"
    return {"table": tc + tn, "clean": ev_c, "noisy": ev_n,
            "paired": paired_test(pooled(ev_c, "adapter"), pooled(ev_n, "adapter"))}


def epochs_experiment(train_rows, eval_rows, *, epochs: int = 4, profile=None, batch_size: int = 16,
                      name: str = "epochs", reuse: bool = True) -> list[dict]:
    """Lesson 06. Claim: one epoch is often enough. Train on `train_rows` epoch after epoch
    (lesson 05's resume), and after each epoch measure the training loss, the held-out loss and
    the held-out task scores of the adapter. Returns one dict per epoch."""
    profile = profile or choose_profile()
    bs = run_sizes(profile).batch_size
    per_epoch = max(1, len(train_rows) // bs)
    # The measured points of a finished experiment are kept beside the run: re-running the lesson
    # reads them instead of training the epochs again (the run folder holds only the last epoch).
    done = runs_dir(profile) / f"{name}_points_{_fingerprint(list(train_rows) + list(eval_rows), profile, epochs=epochs, per_epoch=per_epoch)}.json"
    if reuse and done.is_file():
        return [{k: tuple(v) if isinstance(v, list) else v for k, v in p.items()}
                for p in json.loads(done.read_text())]
    points = []
    for e in range(1, epochs + 1):
        run = _train_epochs(name, train_rows, eval_rows, e * per_epoch, per_epoch, profile, reuse)
        model, tok = load_adapter(run["adapter_dir"], profile)
        ev = evaluate_systems(model, tok, eval_rows, ["adapter"], batch_size=batch_size, progress=False)
        hist = run["log_history"]
        evals = [h for h in hist if "eval_loss" in h]
        trains = [h["loss"] for h in hist if "loss" in h]
        point = {"epoch": e, "steps": e * per_epoch, "eval_loss": evals[-1]["eval_loss"] if evals else None,
                 "train_loss": trains[-1] if trains else None}
        for t in ev.scores["adapter"]:
            for m, v in ev.scores["adapter"][t].items():
                point[f"{t}/{m}"] = tuple(float(x) for x in bootstrap_ci(v))
        points.append(point)
    tmp = done.with_suffix(".tmp")
    tmp.write_text(json.dumps(points))
    tmp.replace(done)              # whole or not at all
    return points


def _train_epochs(name, train_rows, eval_rows, steps, per_epoch, profile, reuse):
    """Train (or resume) the epochs run up to `steps`; reused when it already stopped there."""
    from course_utils.training.run import train  # heavy: see the note at the imports

    out = runs_dir(profile) / name
    fp = _fingerprint(train_rows, profile, steps=steps, per_epoch=per_epoch)
    mark = out / f"eval_fingerprint_{steps}.txt"
    if reuse and mark.is_file() and mark.read_text() == fp and (out / "adapter").is_dir() \
            and json.loads((out / "run_summary.json").read_text())["global_step"] == steps:
        return {"adapter_dir": out / "adapter", "log_history": json.loads((out / "log_history.json").read_text())}
    first = steps == per_epoch
    summary = train(profile, out, train_rows=train_rows, eval_rows=eval_rows, max_steps=steps,
                    save_steps=per_epoch, overwrite=first, resume=False if first else True,
                    eval_before=first)
    if summary.adapter_dir is None:
        raise RuntimeError(f"epochs run stopped at step {summary.global_step}; run the cell again")
    mark.write_text(fp)
    return {"adapter_dir": Path(summary.adapter_dir),
            "log_history": json.loads((out / "log_history.json").read_text())}


def drift_experiment(model, tokenizer, *, per_task: int = 24, batch_size: int = 16, same=None) -> dict:
    """Lesson 06. The adapter on the test set it was built for and on the later, shifted set (new
    products, informal wording). Different examples, so the difference gets an unpaired
    bootstrap interval. `same`: an `Evaluation` that already holds the adapter's answers to
    `heldout("test", per_task)` (the main table's), so they are not generated twice."""
    pool = load_split("train")
    if same is None:
        same = evaluate_systems(model, tokenizer, heldout("test", per_task), ["adapter"],
                                Context(pool), batch_size=batch_size)
    shifted = evaluate_systems(model, tokenizer, heldout("test_shifted", per_task), ["adapter"],
                               Context(pool), batch_size=batch_size)
    ta = [r for r in results_table(same) if r["system"] == "adapter"]
    tb = results_table(shifted)
    for r in ta:
        r["system"] = "test (same period)"
    for r in tb:
        r["system"] = "test_shifted (later)"
    diffs = {}
    for t in same.scores["adapter"]:
        for m in same.scores["adapter"][t]:
            diffs[(t, m)] = unpaired_diff(shifted.scores["adapter"][t][m], same.scores["adapter"][t][m])
    return {"table": ta + tb, "same": same, "shifted": shifted, "diff": diffs}


def verdict(claim: str, paired: dict) -> str:
    """Lesson 06. One line saying what a paired difference (A - B, A the claimed winner) shows:
    supported (interval above 0), contradicted (below 0) or not settled by these rows."""
    lo, hi, d = paired["low"], paired["high"], paired["diff"]
    if lo > 0:
        return f"measured: supports '{claim}' (difference {d:+.3f}, 95% CI above 0)"
    if hi < 0:
        return f"measured: contradicts '{claim}' (difference {d:+.3f}, 95% CI below 0)"
    return (f"measured: does not settle '{claim}' on these rows (difference {d:+.3f}, 95% CI "
            f"[{lo:+.3f}, {hi:+.3f}] includes 0); more rows or a larger model are needed")


def epochs_verdict(points: list[dict]) -> str:
    """Lesson 06. Where held-out loss was lowest, and whether training loss kept falling after."""
    ev = [(p["eval_loss"], p["epoch"]) for p in points if p["eval_loss"] is not None]
    if not ev:
        return "no held-out loss was recorded"
    best_loss, best_epoch = min(ev)
    last = points[-1]
    if best_epoch == last["epoch"]:
        return (f"measured: held-out loss still falling at epoch {best_epoch} ({best_loss:.3f}): "
                f"at this size more than one epoch still helped; no overtraining seen yet")
    return (f"measured: held-out loss lowest at epoch {best_epoch} ({best_loss:.3f}), "
            f"{last['eval_loss']:.3f} at epoch {last['epoch']} while training loss went to "
            f"{last['train_loss']:.3f}: overtraining starts after epoch {best_epoch}")


def format_note(ev, system: str = "adapter") -> str:
    """Lesson 06. Whether `system` has learned the answer formats at all (the precondition for
    reading any comparison), from its parsed replies."""
    sc = ev.scores[system]
    parts, learned = [], []
    for task, metric in (("triage", "json_valid"), ("moderation", "format_valid"), ("policy_qa", "one_sentence")):
        if task in sc:
            v = float(np.mean(sc[task][metric]))
            parts.append(f"{task} {metric} {v:.2f}")
            learned.append(v >= 0.5)
    head = f"{system}: " + ", ".join(parts)
    if all(learned):
        return head + " -> the formats are learned; the comparisons below are about content."
    return (head + " -> the adapter has not learned every format yet: systems that all score ~0 cannot "
            "be told apart, and the tests below will say 'does not settle'. That is the measurement, "
            "not a bug: train longer (more steps, a GPU profile) before drawing conclusions.")
