"""Lesson 05: what the recipe and the amount of data buy, measured as held-out loss, paired by row.

    precision_experiment   QLoRA (NF4 base) vs LoRA on the unquantized base vs full fine-tuning,
                           the same rows and steps: the seeds' "LoRA reaches 90-95% of full
                           fine-tuning" (a share of the loss reduction, with an interval) and "NF4
                           loses nothing meaningful" (an equivalence test: is the difference inside
                           a margin?)
    size_experiment        one epoch over the first 40 / 120 / ... rows of the course mix, against
                           the course adapter's full set: the seeds' "500-1,000 examples move the
                           needle", at the sizes a CPU affords

Every arm is scored on the same held-out rows by its mean loss on the reference reply
(`course_utils.evaluate.row_loss.row_losses`): teacher forcing, no generation, so one number per
row costs a forward pass, and a paired comparison of two arms settles with a few dozen rows where
generated-answer metrics (0 or 1 per row) would need hundreds. Lesson 06 scores generated answers.

Arms are trained with lesson 05's `train` (LoRA arms, through lesson 06's `train_adapter`, reused
by fingerprint) and `train_full`; the runs live under runs/course_<profile>/.

What this leaves out: learning-rate tuning per arm (each arm uses the course's rate for its
method), several seeds per arm, and sizes beyond the course mix.
"""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass

from course_utils.evaluate.course_run import course_mix, course_settings
from course_utils.evaluate.experiments import heldout, load_adapter, train_adapter
from course_utils.evaluate.row_loss import loss_gain_share, noninferiority_verdict, row_losses
from course_utils.evaluate.stats import paired_test
from course_utils.model.profiles import choose_profile, run_sizes
from course_utils.paths import run_dir

# NF4 counts as losing "nothing meaningful" when QLoRA's held-out loss stays within this share of
# the fine-tuning gain (base loss - LoRA loss) of LoRA on the unquantized base.
NF4_MARGIN_SHARE = 0.05
# The seeds: LoRA reaches 90-95% of full fine-tuning's quality.
LORA_SHARE_CLAIM = (0.90, 0.95)


@dataclass(frozen=True)
class ArmSizes:
    """Lesson 05. Rows, steps and batch of the precision arms, the data-size arms, the scoring rows."""

    precision_steps: int
    precision_batch: int
    sizes: tuple[int, ...]      # rows of the smaller data-size arms (the course adapter is the largest)
    score_per_task: int         # validation rows per task that score every arm


def arm_sizes(profile) -> ArmSizes:
    """Lesson 05. Small on a CPU (each smol step ~8 s at batch 8 on 2 cores), larger on a GPU."""
    if profile.name == "smol":
        # 3 arms x 16 steps x batch 4: ~3 min; sizes 40 and 120 rows: 5 + 15 steps of batch 8.
        return ArmSizes(precision_steps=16, precision_batch=4, sizes=(40, 120), score_per_task=16)
    if profile.is_tiny:
        return ArmSizes(precision_steps=40, precision_batch=8, sizes=(100, 300), score_per_task=16)
    return ArmSizes(precision_steps=100, precision_batch=4, sizes=(100, 300, 1000), score_per_task=40)


def _scoring_rows(profile) -> list[dict]:
    return heldout("validation", arm_sizes(profile).score_per_task)


def _release() -> None:
    """Give back the memory of a model the caller has just dropped (a GPU holds one base at a time)."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _adapter_losses(adapter_dir, profile, rows, quantization: str = "nf4"):
    model, tok = load_adapter(adapter_dir, profile, quantization=quantization)
    losses = row_losses(model, tok, rows, desc=f"reply loss · {adapter_dir.parent.name}")
    with model.disable_adapter():
        base = row_losses(model, tok, rows, desc="reply loss · base")
    del model
    _release()
    return losses, base


def precision_experiment(profile=None, *, full: bool = True) -> dict:
    """Lesson 05. QLoRA vs LoRA (unquantized base) vs full fine-tuning at equal rows and steps,
    scored by held-out reply loss. Returns per-arm losses, the paired tests, LoRA's share of full
    fine-tuning's gain and the NF4 equivalence verdict. `full=False` skips the full arm (a 7B
    full fine-tune needs ~16 bytes a parameter: lesson 02)."""
    from course_utils.model.load import load_model          # heavy: torch, transformers
    from course_utils.training.full import train_full

    profile = profile or choose_profile()
    a = arm_sizes(profile)
    rows = course_mix(a.precision_steps * a.precision_batch, seed=2)
    sizes = dataclasses.replace(run_sizes(profile), batch_size=a.precision_batch)
    folder = run_dir("course", profile.name)
    score = _scoring_rows(profile)
    eval_rows = heldout("validation", 4)
    runs, losses = {}, {}
    for arm, quant in (("qlora", "nf4"), ("lora", "none")):
        runs[arm] = train_adapter(f"precision-{arm}", rows, profile=profile, steps=a.precision_steps,
                                  folder=folder, eval_rows=eval_rows, quantization=quant, sizes=sizes,
                                  settings=course_settings(profile))
        losses[arm], base = _adapter_losses(runs[arm]["adapter_dir"], profile, score, quant)
        losses.setdefault(f"base ({quant})", base)
    if full:
        full_args = dict(train_rows=rows, eval_rows=eval_rows, max_steps=a.precision_steps, sizes=sizes)
        try:
            runs["full"] = train_full(profile, folder / "precision-full", **full_args)
        except FileExistsError:     # a full fine-tune of earlier settings: this one replaces it
            runs["full"] = train_full(profile, folder / "precision-full", overwrite=True, **full_args)
        model, tok = load_model(str(runs["full"].model_dir), "none", profile)
        losses["full"] = row_losses(model, tok, score, desc="reply loss · full")
        del model
        _release()
    base = losses["base (none)"]
    out = {"rows": len(rows), "steps": a.precision_steps, "batch": a.precision_batch, "scored": len(score),
           "losses": losses, "runs": runs,
           "qlora_vs_lora": paired_test(losses["qlora"], losses["lora"])}
    gain = float(base.mean() - losses["lora"].mean())
    out["nf4_margin"] = NF4_MARGIN_SHARE * max(gain, 0.0)
    out["nf4_verdict"] = (noninferiority_verdict(out["qlora_vs_lora"], out["nf4_margin"]) if gain > 0 else
                          "not settled: LoRA did not lower the held-out loss, so there is no gain to lose")
    if full:
        out["lora_vs_full"] = paired_test(losses["lora"], losses["full"])
        try:
            out["lora_share"] = loss_gain_share(base, losses["lora"], losses["full"])
            out["lora_share_verdict"] = share_verdict(out["lora_share"])
        except ValueError as err:
            out["lora_share"] = {"error": str(err)}
            out["lora_share_verdict"] = f"not settled: {err}"
    return out


def share_verdict(share: dict, claimed: tuple[float, float] = LORA_SHARE_CLAIM) -> str:
    """Lesson 05. The seeds' "LoRA reaches 90-95% of full fine-tuning", read from the interval of
    LoRA's share of full fine-tuning's loss reduction: supported when the interval reaches into
    the claimed range or above it (LoRA at least 90% as good), contradicted when it lies entirely
    below the claimed range, with the numbers."""
    low, high, est = share["low"], share["high"], share["share"]
    span = f"{est:.0%} [{low:.0%}, {high:.0%}]"
    if high < claimed[0]:
        return (f"contradicted at this size: LoRA reached {span} of full fine-tuning's gain, below "
                f"the claimed {claimed[0]:.0%}-{claimed[1]:.0%}")
    if low >= claimed[0]:
        return f"supported: LoRA reached {span} of full fine-tuning's gain (claimed {claimed[0]:.0%}-{claimed[1]:.0%})"
    return (f"not settled: LoRA reached {span} of full fine-tuning's gain; the interval straddles the "
            f"claimed {claimed[0]:.0%}")


def size_experiment(profile=None, course: dict | None = None) -> dict:
    """Lesson 05. One epoch over the first n rows of the course mix for each n of
    `arm_sizes(profile).sizes`, plus the course adapter (all its rows), scored by held-out reply
    loss. Returns {n: losses}, the base's losses and, for each pair of neighbouring sizes
    (small, big), the paired test of big - small (below 0: the extra rows lowered the loss)."""
    from course_utils.evaluate.course_run import course_adapter

    profile = profile or choose_profile()
    a = arm_sizes(profile)
    course = course or course_adapter(profile)
    rows, steps_all = course["rows"], course["settings"]["steps"]
    batch = run_sizes(profile).batch_size
    score = _scoring_rows(profile)
    losses, base = {}, None
    for n in a.sizes:
        run = size_arm(profile, course, n)
        losses[n], base = _adapter_losses(run["adapter_dir"], profile, score)
    losses[len(rows)], base = _adapter_losses(course["adapter_dir"], profile, score)
    ns = sorted(losses)
    steps = {n: (max(1, n // batch) if n != len(rows) else steps_all) for n in ns}
    return {"losses": losses, "base": base, "steps": steps, "scored": len(score),
            "paired": {(small, big): paired_test(losses[big], losses[small]) for small, big in zip(ns, ns[1:])}}


def _check_arm(n: int, rows) -> None:
    if not isinstance(n, int) or not 0 < n < len(rows):
        raise ValueError(f"an arm of {n!r} rows: use 1 to {len(rows) - 1} (the course mix has {len(rows)})")


def size_arm(profile, course: dict, n: int) -> dict:
    """Lessons 05-06. The adapter trained for one epoch on the first `n` rows of the course mix
    (runs/course_<profile>/size-<n>, reused by fingerprint): a data-size arm of lesson 05, and the
    clean arm of lesson 06's clean-vs-noisy comparison."""
    _check_arm(n, course["rows"])
    return _one_epoch(profile, f"size-{n}", course["rows"][:n])


def noisy_arm(profile, course: dict, n: int) -> dict:
    """Lesson 06. The same budget as `size_arm(profile, course, n)` (rows, steps, general rows in
    the same places), with every task row replaced by a row of the raw, defective set (lesson
    04's input): the two adapters differ only in whether their task data was curated."""
    from course_utils.evaluate.experiments import raw_training_rows

    _check_arm(n, course["rows"])
    clean = course["rows"][:n]
    raw = raw_training_rows(sum(r["task"] != "general" for r in clean))
    it = iter(raw)
    rows = [r if r["task"] == "general" else next(it) for r in clean]
    return _one_epoch(profile, f"noisy-{n}", rows)


def _one_epoch(profile, name: str, rows) -> dict:
    """One epoch over `rows` at the profile's batch, under runs/course_<profile>/<name>, reused by
    fingerprint (the course adapter's settings)."""
    batch = run_sizes(profile).batch_size
    return train_adapter(name, rows, profile=profile, steps=max(1, len(rows) // batch),
                         folder=run_dir("course", profile.name), eval_rows=heldout("validation", 4),
                         settings=course_settings(profile))
