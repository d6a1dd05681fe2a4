"""Lessons 05-07: the course adapter, one fine-tune that three lessons share, and the check that
general chat survived it.

    course_mix          lesson 04's recipe for the training set: the curated task rows (`training_mix`:
                        policy questions half with retrieved facts) mixed with general chat by
                        `course_utils.dataset.splits.mix`, general chat at `GENERAL_SHARE`
    general_heldout     general chat rows that no course run trains on (the retention test set)
    course_adapter      lesson 05 trains it under runs/course_<profile>/; lessons 06 and 07 get the
                        same folder back without training, as long as the rows, the settings and
                        the base are the ones it was trained with (a fingerprint says so)
    retention_experiment  base vs adapter on held-out general chat, paired by row

Sizes come from `eval_sizes(profile)` (lesson 06): the course adapter is the adapter lesson 06
evaluates.

What this leaves out: general abilities the general pool does not cover (code, long answers,
other languages): the retention score measures short checkable answers only.
"""

from __future__ import annotations

import numpy as np

from course_utils.dataset.load import load_general
from course_utils.dataset.splits import mix
from course_utils.evaluate.experiments import eval_sizes, heldout, train_adapter, training_mix
from course_utils.evaluate.metrics import general_answer_correct, general_checkable
from course_utils.evaluate.stats import bootstrap_ci, paired_test
from course_utils.evaluate.systems import _switch, generate
from course_utils.model.profiles import choose_profile, run_sizes
from course_utils.paths import run_dir
from course_utils.training.config import learning_rate_for

# Lesson 04 mixes the tasks in at the seeds' 20-30 % of a general-purpose set, the recipe for a
# long run that must stay a general assistant. The course adapter is a task specialist trained
# for minutes on a CPU: it keeps the proportions the other way round, 3 task rows for 1 general
# row, which leaves the tasks enough rows to learn their formats in one short epoch (measured on
# smol: 40 steps learn all three formats) and still shows the model ordinary chat.
GENERAL_SHARE = 0.25
# The last rows of data/tasks/general.jsonl (file order) are never trained on: the retention set.
GENERAL_HELDOUT = 200


def _general_pools() -> tuple[list[dict], list[dict]]:
    rows = load_general()
    if len(rows) <= GENERAL_HELDOUT:
        raise ValueError(f"data/tasks/general.jsonl holds {len(rows)} rows; the course keeps the last "
                         f"{GENERAL_HELDOUT} for the retention test and needs more to train on: rebuild "
                         f"it with python -m course_utils.dataset.build")
    return rows[:-GENERAL_HELDOUT], rows[-GENERAL_HELDOUT:]


def general_heldout(n: int = 40) -> list[dict]:
    """Lessons 05-06. The first `n` general chat rows no course run trains on that have one
    checkable answer (`general_checkable`: a sum, a capital, an ordering; not "Name 2 colours.")."""
    return [r for r in _general_pools()[1] if general_checkable(r)][:n]


def course_mix(n: int, *, seed: int = 0, general_share: float = GENERAL_SHARE) -> list[dict]:
    """Lesson 05. `n` training rows: task rows from `training_mix` and general chat (never the
    held-out rows), general chat at `general_share` of the total, shuffled with `seed`."""
    if not 0 <= general_share < 1:
        raise ValueError(f"general_share={general_share!r}: use a share in [0, 1)")
    n_tasks = round(n * (1 - general_share))
    tasks = training_mix(n_tasks, seed=seed)
    if general_share == 0:
        return tasks
    out = mix(tasks, _general_pools()[0], domain_fraction=1 - general_share, seed=seed)
    if abs(len(out) - n) > 1:
        raise ValueError(f"course_mix(n={n}): the general pool supports only {len(out)} rows")
    return out


def course_settings(profile) -> dict:
    """Lesson 05. What the course adapter's fingerprint covers besides its rows and the base: the
    run's sizes, steps and learning rate under `profile` (change one and the adapter retrains)."""
    sizes, rs = eval_sizes(profile), run_sizes(profile)
    return {"rows": sizes.train_rows, "steps": sizes.steps, "batch": rs.batch_size,
            "grad_accum": rs.grad_accum, "max_len": rs.max_seq_len,
            "lr": learning_rate_for(profile), "general_share": GENERAL_SHARE}


def course_adapter(profile=None, *, reuse: bool = True) -> dict:
    """Lessons 05-07. The course adapter under runs/course_<profile>/: trained by lesson 05 (QLoRA,
    the profile's settings, `course_mix` of `eval_sizes(profile).train_rows` rows, one epoch),
    returned as it is when the same rows, settings and base trained it before.

    Returns `train_adapter`'s dict: adapter_dir, log_history, summary, reused, plus rows (the
    training rows) and settings."""
    profile = profile or choose_profile()
    settings = course_settings(profile)
    rows = course_mix(settings["rows"])
    run = train_adapter("adapter", rows, profile=profile, steps=settings["steps"], reuse=reuse,
                        save_steps=run_sizes(profile).save_steps,
                        folder=run_dir("course", profile.name), settings=settings)
    return {**run, "rows": rows, "settings": settings}


def retention_experiment(model, tokenizer, rows=None, *, batch_size: int = 16, max_new_tokens: int = 40,
                         progress: bool = True) -> dict:
    """Lesson 06. Did general chat survive fine-tuning? The base (adapter off) and the adapter answer
    the same held-out general rows; a reply is right when it holds the reference's answer words
    (`general_answer_correct`). Returns per-system scores with intervals, the replies and the
    paired difference adapter - base."""
    rows = general_heldout() if rows is None else list(rows)
    prompts = [r["messages"][:-1] for r in rows]
    out = {"rows": rows, "replies": {}, "scores": {}, "ci": {}}
    for name, on in (("base", False), ("adapter", True)):
        with _switch(model, on):
            replies = generate(model, tokenizer, prompts, batch_size=batch_size,
                               max_new_tokens=max_new_tokens, desc=f"{name} · general", progress=progress)
        s = np.array([float(general_answer_correct(rep, r["messages"][-1]["content"],
                                                   " ".join(m["content"] for m in r["messages"][:-1])))
                      for rep, r in zip(replies, rows)])
        out["replies"][name], out["scores"][name], out["ci"][name] = replies, s, bootstrap_ci(s)
    out["paired"] = paired_test(out["scores"]["adapter"], out["scores"]["base"])
    return out


def retention_verdict(result: dict) -> str:
    """Lesson 06. What the paired difference (adapter - base, general rows) shows."""
    p = result["paired"]
    base, ad = result["scores"]["base"].mean(), result["scores"]["adapter"].mean()
    head = f"general answers right: base {base:.2f}, adapter {ad:.2f}; adapter - base {p['diff']:+.2f} [{p['low']:+.2f}, {p['high']:+.2f}]"
    if p["high"] < 0:
        return head + ": measured loss of general ability (the interval lies below 0)"
    if p["low"] > 0:
        return head + ": the adapter answers general questions better than the base (interval above 0)"
    if p["low"] >= 0:
        return head + ": no loss detected (the interval does not reach below 0)"
    return (head + f": no loss detected; a loss larger than {-p['low']:.2f} is ruled out at 95% by "
            f"these {len(result['rows'])} rows, a smaller one is not")

