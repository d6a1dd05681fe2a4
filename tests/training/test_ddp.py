"""Lesson 05: the command line run data-parallel in 2 real CPU processes (gloo), stopped and resumed.

`torchrun --nproc_per_node 2` and `accelerate launch --multi_gpu --num_processes 2` start two
processes on a machine without a GPU (whereas `accelerate launch --cpu --num_processes 2` silently
starts one). Launch 1 (torchrun) is preempted at step 2 by a SIGTERM that only rank 0 receives:
the all-reduced flag must stop rank 1 at the same step. Launch 2 (accelerate launch) resumes both
ranks and finishes; rank 0 alone writes the adapter.
"""

import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch

from course_utils.paths import REPO_ROOT
from course_utils.training.summary import adapter_difference

pytestmark = pytest.mark.slow   # two launches of two processes each: ~1-2 minutes

STEPS, SAVE, STOP = 4, 3, 2


TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
ACCELERATE = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
              "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]


def _launch(launcher, out, *extra):
    cmd = [*launcher, "-m", "course_utils.train", "--preset", "tiny", "--output-dir", str(out),
           "--max-steps", str(STEPS), "--save-steps", str(SAVE), "--train-examples", "32",
           "--eval-examples", "4", "--batch-size", "2", *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    env.pop("COURSE_PROFILE", None)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=420, env=env, cwd=REPO_ROOT)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


@pytest.fixture(scope="module")
def ddp(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp") / "run"
    first = _launch(TORCHRUN, out, "--interrupt-at-step", str(STOP))
    ckpt = out / f"checkpoint-{STOP}"
    at_stop = sorted(os.listdir(ckpt))
    second = _launch(ACCELERATE, out, "--resume")
    return SimpleNamespace(out=out, first=first, second=second, at_stop=at_stop)


@pytest.mark.parametrize("launch", ["first", "second"])
def test_two_real_processes_ran(ddp, launch):
    out = getattr(ddp, launch).stdout
    pids = dict(re.findall(r"\[rank (\d)/2\] pid (\d+)", out))
    assert set(pids) == {"0", "1"} and pids["0"] != pids["1"], out[-2000:]


def test_a_signal_to_one_rank_stops_every_rank_at_the_same_step(ddp):
    out = ddp.first.stdout
    assert f"[rank 0/2] interrupted at step {STOP}" in out and f"[rank 1/2] interrupted at step {STOP}" in out
    assert (ddp.first.stdout + ddp.first.stderr).count("SIGTERM received") == 1  # rank 0 only
    assert {"rng_state_0.pth", "rng_state_1.pth", "trainer_state.json", "optimizer.pt",
            "adapter_model.safetensors"} <= set(ddp.at_stop)  # both ranks' RNG, one adapter


def test_the_resumed_run_finishes_on_both_ranks(ddp):
    out = ddp.second.stdout
    assert f"[rank 0/2] finished at step {STEPS}" in out and f"[rank 1/2] finished at step {STEPS}" in out
    s = json.loads((ddp.out / "run_summary.json").read_text())
    assert s["world_size"] == 2 and s["resumed_from"].endswith(f"checkpoint-{STOP}")
    assert s["global_step"] == STEPS and s["steps_this_run"] == STEPS - STOP
    assert s["eval_loss_after"] < s["eval_loss_before"]


def test_one_adapter_is_saved_and_it_loads(ddp):
    from peft import PeftModel

    from course_utils.model.load import load_model
    from course_utils.training.config import profile_for, task_rows

    adapters = list(ddp.out.rglob("adapter/adapter_model.safetensors"))
    assert adapters == [ddp.out / "adapter" / "adapter_model.safetensors"]
    assert adapter_difference(ddp.out / "adapter", ddp.out / f"checkpoint-{STEPS}") == 0.0
    base, tok = load_model("tiny", "nf4", profile_for("tiny"))
    model = PeftModel.from_pretrained(base, str(ddp.out / "adapter")).eval()
    row = task_rows("validation", 1)[0]
    enc = tok.apply_chat_template(row["messages"], return_tensors="pt", return_dict=True)
    with torch.no_grad():
        loss = model(**enc, labels=enc["input_ids"]).loss
    assert torch.isfinite(loss)
    b = model.base_model.model.model.layers[0].self_attn.q_proj.lora_B["default"].weight
    assert b.abs().max() > 0
