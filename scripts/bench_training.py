"""Lesson 05 benchmark: what 4-bit loading and the choice of LoRA targets cost on this machine,
and (smol) how close a training step comes to this machine's matmul speed.

`--preset tiny` (the default): trains the same short run four ways — {4-bit NF4, unquantized}
base x {q_proj+v_proj, all linear layers} targets — and prints the weights' bytes, s/step,
tokens/s and peak RSS, each also as a ratio to the course default (NF4, all-linear). Every
configuration runs in its own fresh process (so one run's memory cannot inflate the next one's
peak), in rounds that interleave the configurations (so a burst of load from other programs does
not land on one of them only); the table shows the median over rounds. Ratios are what to
compare: absolute times depend on the machine and on whatever else it runs.

`--preset smol`: trains the course default (NF4 base, all-linear LoRA, r=16) on SmolLM2-135M in a
fresh process the same way, then, in this process, measures a matmul peak (`matmul_peak_flops`:
the best of several fp32 `torch.matmul` of square matrices, 2*n^3 FLOP each, on the training
run's torch thread count) and prints tokens/s, the achieved training FLOP/s and their share of
that peak (a CPU "model FLOPs utilisation").

    python scripts/bench_training.py [--preset tiny|smol] [--steps N] [--rounds N] [--threads N]

Achieved FLOP/s = tokens/s x `training_flops_per_token(N, lora, checkpointing)`, N the model's
parameter count (the run summary's `total_params`: base plus adapters, 4-bit weights counted as
the values they hold). Per trained token each parameter costs one multiply-add (2 FLOP) in the
forward pass, and 4 in the backward pass of full fine-tuning: 2 for the gradient with respect to
the layer's input, 2 for the gradient with respect to its weight — the "C = 6N" rule of Kaplan et
al. 2020, "Scaling Laws for Neural Language Models", §2.1 and Table 1, and Hoffmann et al. 2022
("Chinchilla"), Appendix F. With a frozen base (LoRA, QLoRA) the base's weight gradients are not
computed: 2N + 2N. Activation checkpointing (on in the course's trainer,
`course_utils.training.config.sft_settings`) runs the forward pass a second time during the
backward pass: + 2N. So LoRA with checkpointing 6N, without 4N; full fine-tuning with
checkpointing 8N, without 6N. Counting the recomputation makes this what Chowdhery et al. 2022
("PaLM", §4.1 and Appendix B) call hardware FLOPs rather than model FLOPs.

What this leaves out: GPU runs (on a GPU the NF4 dequantization costs time and saves memory
in proportion to the 7B base, which the tiny model cannot show), and longer sequences. In the
FLOP estimate: attention's score and weighted-sum products (Kaplan's 2 n_layer n_ctx d_attn per
token, about 2% of 2N for smol at ~150 tokens), the NF4 dequantization (not a matmul; on a CPU
it is memory traffic), the adapters' own weight gradients (2 x the trainable parameters, ~4% of N
for smol all-linear r=16), the work spent on padding positions (tokens/s counts non-padding
tokens only), and that checkpointing recomputes the decoder layers but not the output head
(smol's tied 28 M-parameter head: the 2N recompute term over-counts by about a fifth of it).
The peak is what one matmul shape reaches here, not the processor's datasheet figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = [("nf4", "all-linear"), ("none", "all-linear"), ("nf4", "qv"), ("none", "qv")]
SMOL_CONFIG = ("nf4", "all-linear")  # the course default: QLoRA, every linear layer, r=16
DEFAULTS = {"tiny": {"steps": 12, "rounds": 2}, "smol": {"steps": 6, "rounds": 1}}


def training_flops_per_token(n_params: int, *, lora: bool, checkpointing: bool) -> float:
    """Lesson 05. FLOP per trained token: forward 2N, backward 2N (input gradients) + 2N (weight
    gradients, full fine-tuning only), recomputation 2N (activation checkpointing). Sources and
    what it leaves out: this script's docstring."""
    if n_params <= 0:
        raise ValueError(f"training_flops_per_token(n_params={n_params!r}): the model's parameter "
                         f"count must be positive (RunSummary.total_params)")
    forward = 2 * n_params
    backward = 2 * n_params + (0 if lora else 2 * n_params)
    recompute = 2 * n_params if checkpointing else 0
    return float(forward + backward + recompute)


def matmul_peak_flops(n: int = 2048, repeats: int = 5, threads: int | None = None) -> float:
    """Lesson 05. FLOP/s of the fastest of `repeats` fp32 `torch.matmul` of two n x n matrices
    (2*n^3 FLOP each, after one untimed warm-up), on `threads` torch threads (default: as set)."""
    for name, value in (("n", n), ("repeats", repeats)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"matmul_peak_flops({name}={value!r}): give a positive integer")
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(n, n, generator=gen, dtype=torch.float32)
        b = torch.randn(n, n, generator=gen, dtype=torch.float32)
        torch.matmul(a, b)  # warm-up: thread pool start, first-touch of the output
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            torch.matmul(a, b)
            best = min(best, time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)
    return 2.0 * n ** 3 / best


def run_one(quantization: str, targets: str, steps: int, threads: int | None,
            preset: str = "tiny") -> dict:
    """One short run of `preset` through `course_utils.training.run.train`; returns its measurements."""
    import dataclasses

    import torch

    from course_utils.model.load import load_model, weight_bytes_by_part
    from course_utils.model.profiles import run_sizes
    from course_utils.training.config import profile_for, sft_settings
    from course_utils.training.run import train

    if threads:
        torch.set_num_threads(threads)
    profile = profile_for(preset)
    base_sizes = run_sizes(profile)
    per_step = base_sizes.batch_size * base_sizes.grad_accum
    sizes = dataclasses.replace(base_sizes, train_examples=per_step * (steps + 1), eval_examples=8)
    model, tok = load_model(preset, quantization, profile)
    weights = sum(weight_bytes_by_part(model).values())
    with tempfile.TemporaryDirectory() as out:
        checkpointing = bool(sft_settings(profile, out, sizes=sizes)["activation_checkpointing"])
        s = train(profile, out, model=model, tokenizer=tok, sizes=sizes, max_steps=steps,
                  save_steps=steps, targets=targets, eval_before=False)
    return {"quantization": quantization, "targets": targets, "s_per_step": s.s_per_step,
            "tokens_per_s": s.tokens_per_s, "peak_rss": s.peak_memory_bytes, "weights": weights,
            "peak_kind": s.peak_memory_kind, "trainable": s.trainable_params,
            "threads": torch.get_num_threads(), "total_params": s.total_params, "model": s.model,
            "lora_r": s.lora_r, "compute_dtype": s.compute_dtype, "checkpointing": checkpointing}


def _run_fresh(q: str, t: str, a) -> dict:
    """`run_one` in a fresh Python process (its own memory peak); exits naming the failed run."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    cmd = [sys.executable, __file__, "--one", q, t, "--steps", str(a.steps), "--preset", a.preset]
    if a.threads:
        cmd += ["--threads", str(a.threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[1])
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        sys.exit(f"{a.preset} run {q}/{t} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(line[6:])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", choices=sorted(DEFAULTS), default="tiny",
                   help="tiny: the four-configuration table; smol: the course default's tokens/s "
                        "and its share of a matmul peak measured here")
    p.add_argument("--steps", type=int, default=None,
                   help="optimizer steps per run (median of all but the first); default 12 tiny, 6 smol")
    p.add_argument("--rounds", type=int, default=None,
                   help="times each configuration runs, interleaved; default 2 tiny, 1 smol")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--matmul-n", type=int, default=2048, help="smol: side of the square matrices of the peak")
    p.add_argument("--matmul-repeats", type=int, default=5, help="smol: timed matmuls; the fastest counts")
    p.add_argument("--one", nargs=2, metavar=("QUANT", "TARGETS"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.steps = DEFAULTS[a.preset]["steps"] if a.steps is None else a.steps
    a.rounds = DEFAULTS[a.preset]["rounds"] if a.rounds is None else a.rounds
    for name in ("steps", "rounds", "matmul_n", "matmul_repeats"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} {getattr(a, name)}: give a positive integer")
    if a.one:
        print("BENCH " + json.dumps(run_one(a.one[0], a.one[1], a.steps, a.threads, a.preset)), flush=True)
        return
    if a.preset == "smol":
        _smol(a)
    else:
        _tiny(a)


def _tiny(a) -> None:
    """The four configurations of the tiny profile, interleaved over rounds; a table of medians."""
    results: dict[tuple, list[dict]] = {c: [] for c in CONFIGS}
    for rnd in range(a.rounds):
        for q, t in CONFIGS:
            results[(q, t)].append(_run_fresh(q, t, a))
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


def _smol(a) -> None:
    """The course default on smol, then a matmul peak on the run's thread count, per round; the
    median tokens/s over rounds against the best peak."""
    q, t = SMOL_CONFIG
    runs, peaks = [], []
    for rnd in range(a.rounds):
        runs.append(_run_fresh(q, t, a))
        peaks.append(matmul_peak_flops(a.matmul_n, a.matmul_repeats, runs[-1]["threads"]))
        print(f"round {rnd + 1}/{a.rounds}: {q} base, {t} training and matmul peak done",
              file=sys.stderr, flush=True)
    r0 = runs[0]
    if any(r["tokens_per_s"] is None for r in runs):
        sys.exit(f"smol: a run measured no tokens/s (it needs --steps 2 or more; got {a.steps})")
    tps = statistics.median(r["tokens_per_s"] for r in runs)
    s_step = statistics.median(r["s_per_step"] for r in runs)
    n = r0["total_params"]
    per_token = training_flops_per_token(n, lora=True, checkpointing=r0["checkpointing"])
    achieved, peak = tps * per_token, max(peaks)
    print(f"smol profile, {q} base, {t} LoRA r={r0['lora_r']}, compute "
          f"{r0['compute_dtype']}, {a.steps} steps x {a.rounds} round(s), {r0['threads']} torch "
          f"thread(s); peak: best of {a.matmul_repeats} fp32 {a.matmul_n}x{a.matmul_n} matmuls")
    print(f"{'base':<6}{'targets':<12}{'params N':>10}{'FLOP/token':>12}{'s/step':>9}{'tokens/s':>10}"
          f"{'GFLOP/s':>9}{'peak GFLOP/s':>14}{'share':>8}{'threads':>9}")
    print(f"{q:<6}{t:<12}{n / 1e6:>9.1f}M{per_token / n:>11.0f}N{s_step:>9.3f}{tps:>10,.0f}"
          f"{achieved / 1e9:>9.1f}{peak / 1e9:>14.1f}{100 * achieved / peak:>7.1f}%{r0['threads']:>9}")
    print(f"FLOP/token: forward 2N + backward 2N (frozen base: no weight gradients)"
          f"{' + recompute 2N (activation checkpointing)' if r0['checkpointing'] else ''}; "
          f"tokens/s counts non-padding tokens; attention's n^2 term and NF4 dequantization not counted.")


if __name__ == "__main__":
    main()
