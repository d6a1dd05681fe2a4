"""Lesson 05 benchmark: what 4-bit loading and the choice of LoRA targets cost on this machine.

For the tiny profile, trains the same short run four ways — {4-bit NF4, unquantized} base x
{q_proj+v_proj, all linear layers} targets — and prints the weights' bytes, s/step, tokens/s and
peak RSS, each also as a ratio to the course default (NF4, all-linear). Every configuration runs in its own fresh
process (so one run's memory cannot inflate the next one's peak), in rounds that interleave the
configurations (so a burst of load from other programs does not land on one of them only);
the table shows the median over rounds. Ratios are what to compare: absolute times depend on
the machine and on whatever else it runs.

    python scripts/bench_training.py [--steps 12] [--rounds 2] [--threads N]

What this leaves out: GPU runs (on a GPU the NF4 dequantization costs time and saves memory
in proportion to the 7B base, which the tiny model cannot show), and longer sequences.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIGS = [("nf4", "all-linear"), ("none", "all-linear"), ("nf4", "qv"), ("none", "qv")]


def run_one(quantization: str, targets: str, steps: int, threads: int | None) -> dict:
    """One short tiny-profile run through `course_utils.training.run.train`; returns its measurements."""
    import dataclasses

    import torch

    from course_utils.model.load import load_model, weight_bytes_by_part
    from course_utils.model.profiles import run_sizes
    from course_utils.training.config import profile_for
    from course_utils.training.run import train

    if threads:
        torch.set_num_threads(threads)
    profile = profile_for("tiny")
    sizes = dataclasses.replace(run_sizes(profile), train_examples=8 * (steps + 1), eval_examples=8)
    model, tok = load_model("tiny", quantization, profile)
    weights = sum(weight_bytes_by_part(model).values())
    with tempfile.TemporaryDirectory() as out:
        s = train(profile, out, model=model, tokenizer=tok, sizes=sizes, max_steps=steps,
                  save_steps=steps, targets=targets, eval_before=False)
    return {"quantization": quantization, "targets": targets, "s_per_step": s.s_per_step,
            "tokens_per_s": s.tokens_per_s, "peak_rss": s.peak_memory_bytes, "weights": weights,
            "peak_kind": s.peak_memory_kind, "trainable": s.trainable_params,
            "threads": torch.get_num_threads()}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=12, help="optimizer steps per run (median of all but the first)")
    p.add_argument("--rounds", type=int, default=2, help="times each configuration runs, interleaved")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--one", nargs=2, metavar=("QUANT", "TARGETS"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one:
        print("BENCH " + json.dumps(run_one(a.one[0], a.one[1], a.steps, a.threads)), flush=True)
        return

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    results: dict[tuple, list[dict]] = {c: [] for c in CONFIGS}
    for rnd in range(a.rounds):
        for q, t in CONFIGS:
            cmd = [sys.executable, __file__, "--one", q, t, "--steps", str(a.steps)]
            if a.threads:
                cmd += ["--threads", str(a.threads)]
            out = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                 cwd=Path(__file__).resolve().parents[1])
            line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
            if out.returncode != 0 or line is None:
                sys.exit(f"run {q}/{t} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
            results[(q, t)].append(json.loads(line[6:]))
            print(f"round {rnd + 1}/{a.rounds}: {q:>4} base, {t:<10} done", file=sys.stderr, flush=True)

    med = {c: {k: statistics.median(r[k] for r in rs) for k in ("s_per_step", "tokens_per_s", "peak_rss", "weights")}
           for c, rs in results.items()}
    base = med[CONFIGS[0]]
    first = results[CONFIGS[0]][0]
    print(f"tiny profile, {a.steps} steps x {a.rounds} rounds per configuration, "
          f"{first['threads']} torch thread(s); memory: {first['peak_kind']}")
    print(f"{'base':<6}{'targets':<12}{'trainable':>10}{'weights':>9}{'s/step':>9}{'tokens/s':>10}"
          f"{'peak RSS':>10}   ratios to nf4/all-linear: weights  s/step  tokens/s  RSS")
    for c in CONFIGS:
        m = med[c]
        print(f"{c[0]:<6}{c[1]:<12}{results[c][0]['trainable']:>10,}{m['weights'] / 1e6:>7.1f}MB"
              f"{m['s_per_step']:>9.3f}{m['tokens_per_s']:>10,.0f}{m['peak_rss'] / 1e9:>8.2f}GB"
              f"{m['weights'] / base['weights']:>33.2f}x{m['s_per_step'] / base['s_per_step']:>7.2f}x"
              f"{m['tokens_per_s'] / base['tokens_per_s']:>9.2f}x{m['peak_rss'] / base['peak_rss']:>6.2f}x")
    print("weights: what the model's parameters and quantization constants hold; peak RSS adds the "
          "Python interpreter, torch, activations and optimizer state.")


if __name__ == "__main__":
    main()
