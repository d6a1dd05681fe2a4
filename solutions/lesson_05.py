"""Reference solutions to lesson 05's exercises (notebooks/05_qlora_training.ipynb).

The tiny profile throughout. The runs use section 5's rehearsal sizes (6 steps, a checkpoint
every 2), so that each solution trains in seconds; in the notebook the variation uses the
lesson's own sizes and its all-linear run.
"""

import dataclasses
import tempfile
from pathlib import Path

from course_utils import choose_profile, resolve_config, run_sizes, train

CHECKS = {
    "exercise_basic": "check_exercise_05_basic",
    "exercise_variation": "check_exercise_05_variation",
    "exercise_stretch": "check_exercise_05_stretch",
}


def _rehearsal():
    """The tiny profile and section 5's rehearsal sizes."""
    profile = choose_profile(env={"COURSE_PROFILE": "tiny"})
    sizes = run_sizes(profile)
    return profile, dataclasses.replace(sizes, train_examples=6 * sizes.batch_size,
                                        eval_examples=8, grad_accum=1, max_steps=6, save_steps=2)


def exercise_basic():
    """r (d_in + d_out) for q_proj (hidden -> heads x head dim) and v_proj (hidden -> key/value
    heads x head dim), in every layer."""
    cfg = resolve_config("tiny")
    r = 8
    q = r * (cfg.hidden_size + cfg.num_attention_heads * cfg.head_dim)
    v = r * (cfg.hidden_size + cfg.num_key_value_heads * cfg.head_dim)
    return cfg.num_hidden_layers * (q + v)


def exercise_variation():
    """The same run twice, changing only the targets."""
    profile, sizes = _rehearsal()
    out = Path(tempfile.mkdtemp(prefix="lesson05-variation-"))
    run_qv = train(profile, out / "qv", sizes=sizes, targets="qv")
    run_all = train(profile, out / "all-linear", sizes=sizes, targets="all-linear")
    return run_qv, run_all


def exercise_stretch():
    """Preempted at step 3 and at step 5, resumed each time, against a straight run."""
    profile, sizes = _rehearsal()
    out = Path(tempfile.mkdtemp(prefix="lesson05-stretch-"))
    reference = train(profile, out / "straight", sizes=sizes)
    first_stop = train(profile, out / "stopped", sizes=sizes, interrupt_at_step=3)
    second_stop = train(profile, out / "stopped", sizes=sizes, resume=True, interrupt_at_step=5)
    final = train(profile, out / "stopped", sizes=sizes, resume=True)
    return first_stop, second_stop, final, reference
