"""Lesson 05 through the command line (`python -m course_utils.train`, in a subprocess): a
learner's mistake is a usage error (exit 2) naming the flag, never a traceback; --overwrite
deletes only what a run wrote; --resume survives a truncated newest checkpoint.

The slow tests share one uninterrupted tiny run A (4 steps of 4 rows, a checkpoint every 2 steps)
and work on copies of its folder.
"""

import json
import os
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

from course_utils.paths import REPO_ROOT
from course_utils.training.cli import parse_args
from course_utils.training.summary import adapter_difference

RUN = ["--preset", "tiny", "--max-steps", "4", "--save-steps", "2", "--train-examples", "16",
       "--eval-examples", "4", "--batch-size", "4"]


def cli(*args, cwd=REPO_ROOT, timeout=300):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1",
           "PYTHONPATH": str(REPO_ROOT)}
    for name in ("COURSE_PROFILE", "RANK", "WORLD_SIZE", "LOCAL_RANK"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "course_utils.train", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def usage_error(p, *words):
    """Exit status 2, argparse's usage line, the words, and no traceback."""
    assert p.returncode == 2, f"exit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}"
    assert "usage: python -m course_utils.train" in p.stderr and "Traceback" not in p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert all(w in last for w in words), last
    return last


# --- usage errors, before anything loads --------------------------------------------------------

@pytest.mark.parametrize("flag, value, words", [
    ("--max-steps", "0", ["--max-steps 0", "positive number of optimizer steps", "-1"]),
    ("--max-steps", "-5", ["--max-steps -5", "positive number of optimizer steps", "-1"]),
    ("--save-steps", "0", ["--save-steps 0", "between checkpoints"]),
    ("--learning-rate", "0", ["--learning-rate 0.0", "above 0"]),
    ("--batch-size", "0", ["--batch-size 0", "positive"]),
    ("--seed", "-1", ["--seed -1", "0 to 2**32"]),
    ("--preset", "gpt-5", ["--preset", "gpt-5", "tiny"]),
    ("--max-steps", "ten", ["--max-steps", "invalid int value"]),
])
def test_a_bad_value_is_a_usage_error_naming_the_flag(tmp_path, flag, value, words):
    p = cli("--preset", "tiny", "--output-dir", tmp_path / "run", flag, value)
    usage_error(p, *words)
    assert not (tmp_path / "run").exists()


def test_an_output_path_that_is_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "file").write_text("x")
    usage_error(cli(*RUN, "--output-dir", tmp_path / "file"), "--output-dir", "is a file")
    usage_error(cli(*RUN, "--output-dir", tmp_path / "file" / "run"), "--output-dir", "is a file")


def test_resume_and_overwrite_together_are_a_usage_error(tmp_path):
    usage_error(cli(*RUN, "--output-dir", tmp_path, "--resume", "--overwrite"), "--resume", "--overwrite")


def test_a_config_file_value_is_checked_like_a_flag(tmp_path):
    cfg = tmp_path / "run.json"
    cfg.write_text('{"max_steps": 0}')
    usage_error(cli("--config", cfg, "--output-dir", tmp_path / "run"), "--max-steps 0")
    cfg.write_text('{"preset": "gpt-5"}')
    usage_error(cli("--config", cfg, "--output-dir", tmp_path / "run"), "--preset", "tiny")


def test_cli_parses_flags_and_a_config_file(tmp_path):
    cfg = tmp_path / "run.json"
    cfg.write_text('{"preset": "tiny", "max_steps": 30, "save-steps": 10}')
    a = parse_args(["--config", str(cfg), "--output-dir", "x", "--max-steps", "12", "--resume"])
    assert (a.preset, a.max_steps, a.save_steps, a.resume, a.output_dir) == ("tiny", 12, 10, True, "x")
    cfg.write_text('{"max_stepz": 3}')
    with pytest.raises(SystemExit):
        parse_args(["--config", str(cfg)])


# --- --overwrite deletes only what a run wrote ---------------------------------------------------

def test_overwrite_refuses_a_folder_no_run_made_and_leaves_it_intact(tmp_path):
    mine = tmp_path / "mine"
    (mine / "checkpoint-2").mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes")
    last = usage_error(cli(*RUN, "--output-dir", mine, "--overwrite"), "--overwrite", str(mine),
                       "run_config.json", "Nothing was deleted")
    assert "not made by a course training run" in last
    assert sorted(p.name for p in mine.iterdir()) == ["checkpoint-2", "notes.txt"]
    assert (mine / "notes.txt").read_text() == "my notes"


def test_overwrite_of_the_current_folder_is_refused_and_deletes_nothing(tmp_path):
    """`--output-dir .` from a scratch folder holding a sentinel (never the real repository),
    even when that folder carries a run's marker file."""
    (tmp_path / "sentinel.txt").write_text("still here")
    (tmp_path / "run_config.json").write_text(json.dumps(
        {"preset": "tiny", "quantization": "nf4", "targets": "all-linear", "r": 16}))
    (tmp_path / "runs").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    usage_error(cli(*RUN, "--output-dir", ".", "--overwrite", cwd=tmp_path), "--overwrite",
                "the current folder", "never clears")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "sentinel.txt").read_text() == "still here"


@pytest.mark.slow
def test_resume_with_nothing_to_resume_is_a_usage_error(tmp_path):
    usage_error(cli(*RUN, "--output-dir", tmp_path / "run", "--resume"), "--resume",
                "no complete checkpoint")


# --- real runs -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_a(tmp_path_factory):
    """The uninterrupted run A (~15 s)."""
    root = tmp_path_factory.mktemp("cli")
    p = cli(*RUN, "--output-dir", root / "A")
    assert p.returncode == 0, p.stderr[-3000:]
    return SimpleNamespace(root=root, out=root / "A", proc=p)


def summary_of(out):
    return json.loads((out / "run_summary.json").read_text())


@pytest.mark.slow
def test_overwrite_of_a_run_folder_replaces_the_run_and_keeps_the_rest(run_a):
    out = run_a.root / "D"
    shutil.copytree(run_a.out, out)
    (out / "notes.txt").write_text("my notes")
    old = (out / "checkpoint-4" / "adapter_model.safetensors").read_bytes()
    p = cli(*RUN[:2], "--max-steps", "2", "--save-steps", "2", *RUN[6:], "--output-dir", out, "--overwrite")
    assert p.returncode == 0, p.stderr[-3000:]
    s = summary_of(out)
    assert (s["status"], s["global_step"], s["max_steps"], s["resumed_from"]) == ("finished", 2, 2, None)
    assert sorted(c.name for c in out.glob("checkpoint-*")) == ["checkpoint-2"]   # checkpoint-4 gone
    assert json.loads((out / "run_config.json").read_text())["max_steps"] == 2
    assert (out / "notes.txt").read_text() == "my notes"
    assert "kept what the run did not write: notes.txt" in p.stderr
    assert old != (out / "checkpoint-2" / "adapter_model.safetensors").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["adapter_model.safetensors", "optimizer.pt"])
def test_resume_falls_back_past_a_truncated_checkpoint_and_ends_equal(run_a, broken):
    """Checkpoint 4's file cut in half: --resume sets it aside, says so, trains steps 3-4 from
    checkpoint 2, and ends bitwise equal to the uninterrupted run."""
    out = run_a.root / f"B_{broken}"
    shutil.copytree(run_a.out, out)
    shutil.rmtree(out / "adapter")            # the final adapter must come from this resume
    f = out / "checkpoint-4" / broken
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    p = cli(*RUN, "--output-dir", out, "--resume")
    assert p.returncode == 0, p.stderr[-3000:]
    assert f"skipping checkpoint-4: {broken}:" in p.stderr
    assert "moved to incomplete-checkpoint-4" in p.stderr and "falling back to checkpoint-2" in p.stderr
    assert broken in (out / "incomplete-checkpoint-4" / "SET_ASIDE.txt").read_text()
    s = summary_of(out)
    assert s["resumed_from"].endswith("checkpoint-2")
    assert (s["status"], s["global_step"], s["steps_this_run"]) == ("finished", 4, 2)
    assert adapter_difference(run_a.out / "adapter", out / "adapter") == 0.0
