"""Lesson 05's exercise checks: counting LoRA parameters by hand, a q,v run beside the
all-linear one, and a run preempted twice that still equals the uninterrupted one.

    basic      the trainable parameters of LoRA r=8 on q_proj and v_proj of the lesson's model
    variation  the same run with adapters on q_proj and v_proj only, compared with all-linear
    stretch    two preemptions, two resumes, and a final adapter bitwise equal to a straight run

Each check recomputes what it can (the parameter count from the model's dimensions; the run
summaries' steps, targets, checkpoints and adapter difference) and, for a wrong answer, names
the concept the answer missed: grouped-query attention's narrower v_proj, the rank of the
variation, a resume that did not start from the checkpoint the preemption left.

What this leaves out: the reference solutions (``solutions/lesson_05.py`` at the repository
root) and the quality of the adapters (lesson 06 measures that).
"""

from __future__ import annotations

from course_utils.exercises.check import diagnose, pending, verdict
from course_utils.plan.memory import lora_param_count, resolve_config
from course_utils.training.summary import RunSummary, adapter_difference


def check_exercise_05_basic(answer, config="tiny") -> bool | None:
    """Lesson 05, basic: the trainable parameters of LoRA r=8 on q_proj and v_proj of `config`."""
    cfg = resolve_config(config)
    hint = ("each adapted matrix adds r·(d_in + d_out): A is r x d_in, B is d_out x r. Read "
            "d_in and d_out of q_proj and of v_proj from the model's dimensions (heads x head "
            "dim, and key/value heads x head dim), then count every layer.")
    if pending(answer, hint=hint):
        return None
    want = lora_param_count(cfg, 8, ["q_proj", "v_proj"])
    hint = diagnose(answer, [
        (8 * cfg.num_hidden_layers * 2 * (cfg.hidden_size + cfg.q_dim),
         "v_proj is narrower than q_proj: with grouped-query attention it has only the "
         "key/value heads' width (key/value heads x head dim)."),
        (want // cfg.num_hidden_layers, "that is one decoder layer: every layer has its own "
                                        "q_proj and v_proj."),
        (want * 2, "that is rank 16: the exercise asks for r=8."),
        (8 * cfg.num_hidden_layers * (cfg.hidden_size * cfg.q_dim + cfg.hidden_size * cfg.kv_dim),
         "r x d_in x d_out is the size of a full matrix; LoRA's two factors add r x (d_in + d_out)."),
    ], hint, rel=0.0)
    ok = isinstance(answer, int) and not isinstance(answer, bool) and answer == want
    return verdict(ok, f"{want:,} parameters: {100 * want / cfg.param_count():.3f}% of "
                       f"{cfg.param_count():,}.", hint)


def check_exercise_05_variation(run_qv, run_all) -> bool | None:
    """Lesson 05, variation: the same run with adapters on q_proj and v_proj only, beside the
    lesson's all-linear run."""
    hint = ("train a second run exactly like section 4's (same profile, sizes, rank and seed) "
            "into another folder, changing only which layers get adapters (section 3 names the "
            "two choices); pass its summary, then the lesson's run.")
    if pending(run_qv, run_all, hint=hint):
        return None
    if not (isinstance(run_qv, RunSummary) and isinstance(run_all, RunSummary)):
        return verdict(False, "", "pass the two run summaries training returns, not numbers or "
                                  "folders. " + hint)
    if run_qv.targets != "qv" or run_all.targets != "all-linear":
        return verdict(False, "", f"the runs' targets are {run_qv.targets!r} and "
                                  f"{run_all.targets!r}: the first should adapt q_proj and "
                                  "v_proj only, the second is the lesson's all-linear run.")
    if not (run_qv.status == run_all.status == "finished"):
        return verdict(False, "", "both runs must have finished (resume the one that stopped).")
    if run_qv.global_step != run_all.global_step or run_qv.lora_r != run_all.lora_r:
        return verdict(False, "", f"steps {run_qv.global_step} vs {run_all.global_step}, rank "
                                  f"{run_qv.lora_r} vs {run_all.lora_r}: change one thing at a "
                                  "time, or the comparison says nothing about the targets.")
    return verdict(True, (
        f"q,v adapters: {run_qv.trainable_params:,} parameters "
        f"({run_qv.trainable_params / run_all.trainable_params:.0%} of all-linear's), eval loss "
        f"{run_qv.eval_loss_after:.3f} vs {run_all.eval_loss_after:.3f} after {run_all.global_step} "
        f"steps, {run_qv.s_per_step:.2f} vs {run_all.s_per_step:.2f} s/step."), hint)


def _stretch_problem(first_stop, second_stop, final, reference) -> str:
    """What is wrong with the stretch's four summaries ("" when nothing is)."""
    if not (first_stop.status == second_stop.status == "interrupted"):
        return "the first two runs should stop at a preemption (status 'interrupted')."
    if not (final.status == reference.status == "finished"):
        return "the last run and the straight run should both finish."
    if not first_stop.global_step < second_stop.global_step < final.global_step:
        return ("the second preemption must come after the first, and the end after both: "
                "steps " f"{first_stop.global_step}, {second_stop.global_step}, {final.global_step}.")
    if not (str(second_stop.resumed_from or "").endswith(f"checkpoint-{first_stop.global_step}")
            and str(final.resumed_from or "").endswith(f"checkpoint-{second_stop.global_step}")):
        return ("each run after a preemption must continue from the checkpoint the preemption "
                "left, in the same folder (section 5).")
    if reference.resumed_from is not None or reference.global_step != final.global_step:
        return "the straight run goes start to end in its own folder, without a preemption."
    if adapter_difference(final.adapter_dir, reference.adapter_dir) != 0.0:
        return ("the adapters differ: the same sizes and seed on both sides, and a resume that "
                "restores the optimizer, scheduler and data order, give equal adapters.")
    return ""


def check_exercise_05_stretch(first_stop, second_stop, final, reference) -> bool | None:
    """Lesson 05, stretch: preempted twice, resumed twice, and still equal to the uninterrupted
    run."""
    hint = ("section 5 preempts once: preempt the same rehearsal at one step, resume it and "
            "preempt again at a later step, then resume to the end; compare the final adapter "
            "with a straight run of the same sizes and seed in another folder.")
    if pending(first_stop, second_stop, final, reference, hint=hint):
        return None
    try:
        problem = _stretch_problem(first_stop, second_stop, final, reference)
    except (AttributeError, TypeError, ValueError, OSError):
        problem = "pass the four run summaries training returns. " + hint
    return verdict(not problem, "two preemptions, no step lost: the final adapter is bitwise "
                                "equal to the uninterrupted run's.", problem or hint)
