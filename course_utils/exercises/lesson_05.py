"""Lesson 05's exercise checks: counting LoRA parameters, a q,v run beside the all-linear one,
and a run preempted twice that still equals the uninterrupted one."""

from __future__ import annotations

from course_utils.exercises.check import pending, verdict
from course_utils.plan.memory import lora_param_count, resolve_config
from course_utils.training.summary import RunSummary, adapter_difference

def check_exercise_05_basic(answer, config="tiny") -> bool | None:
    """Basic: the trainable parameters of LoRA r=8 on q_proj and v_proj of `config`."""
    cfg = resolve_config(config)
    hint = (f"each adapted matrix adds r·(d_in + d_out); q_proj maps {cfg.hidden_size} -> "
            f"{cfg.q_dim}, v_proj maps {cfg.hidden_size} -> {cfg.kv_dim} (grouped-query "
            f"attention); there are {cfg.num_hidden_layers} layers")
    if pending(answer, hint=hint):
        return None
    want = lora_param_count(cfg, 8, ["q_proj", "v_proj"])
    try:
        ok = int(answer) == want
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, f"{want:,} parameters: {100 * want / cfg.param_count():.3f}% of "
                        f"{cfg.param_count():,}.", hint)


def check_exercise_05_variation(run_qv, run_all) -> bool | None:
    """Variation: the same run with targets="qv"; compares it with the all-linear run."""
    hint = ("call train(profile, <another output_dir>, sizes=sizes, targets='qv', "
            "resume='auto') and pass its summary, then the lesson's run")
    if pending(run_qv, run_all, hint=hint):
        return None
    ok = (isinstance(run_qv, RunSummary) and isinstance(run_all, RunSummary)
          and run_qv.targets == "qv" and run_all.targets == "all-linear"
          and run_qv.status == run_all.status == "finished"
          and run_qv.global_step == run_all.global_step and run_qv.lora_r == run_all.lora_r)
    if not ok:
        return verdict(False, "", hint + " (same steps and rank, both finished)")
    return verdict(True, (
        f"q,v adapters: {run_qv.trainable_params:,} parameters "
        f"({run_qv.trainable_params / run_all.trainable_params:.0%} of all-linear's), eval loss "
        f"{run_qv.eval_loss_after:.3f} vs {run_all.eval_loss_after:.3f} after {run_all.global_step} "
        f"steps, {run_qv.s_per_step:.2f} vs {run_all.s_per_step:.2f} s/step."), hint)


def check_exercise_05_stretch(first_stop, second_stop, final, reference) -> bool | None:
    """Stretch: preempted twice, resumed twice, and still equal to the uninterrupted run."""
    hint = ("run train(..., interrupt_at_step=a), then train(..., resume=True, interrupt_at_step=b) "
            "with b > a, then train(..., resume=True); compare with an uninterrupted run into "
            "another folder, same sizes and seed")
    if pending(first_stop, second_stop, final, reference, hint=hint):
        return None
    try:
        ok = (first_stop.status == second_stop.status == "interrupted"
              and final.status == reference.status == "finished"
              and first_stop.global_step < second_stop.global_step < final.global_step
              and second_stop.resumed_from.endswith(f"checkpoint-{first_stop.global_step}")
              and final.resumed_from.endswith(f"checkpoint-{second_stop.global_step}")
              and reference.resumed_from is None and reference.global_step == final.global_step
              and adapter_difference(final.adapter_dir, reference.adapter_dir) == 0.0)
    except (AttributeError, TypeError, ValueError, OSError):
        ok = False
    return verdict(ok, "two preemptions, no step lost: the final adapter is bitwise equal to the "
                        "uninterrupted run's.", hint)
