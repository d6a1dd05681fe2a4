"""Lesson 06: print the full results table (every system x metric with 95% intervals) and the paired
test of the adapter against the best system without fine-tuning.

    python scripts/run_evaluation.py [--per-task N] [--steps N]

Trains the main adapter under runs/06_<profile>/main (or reuses it when the same rows and steps
were trained before), then evaluates the five systems of lesson 06 on the test split.
"""

from __future__ import annotations

import argparse

from course_utils.dataset.load import load_split
from course_utils.evaluate.experiments import eval_sizes, heldout, load_adapter, train_adapter, training_mix
from course_utils.evaluate.stats import paired_test
from course_utils.evaluate.systems import (BASELINES, Context, best_system, evaluate_systems, format_table,
                                           pooled, results_table)
from course_utils.model.profiles import choose_profile


def main(argv=None) -> int:
    profile = choose_profile()
    sizes = eval_sizes(profile)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--per-task", type=int, default=sizes.per_task, help="held-out rows per task")
    ap.add_argument("--steps", type=int, default=sizes.steps, help="training steps of the adapter")
    args = ap.parse_args(argv)
    steps = args.steps if args.steps > 0 else -1
    mix = training_mix(sizes.train_rows)
    run = train_adapter("main", mix, profile=profile, steps=steps)
    s = run["summary"]
    print(f"adapter: {s['global_step']} steps, eval loss {s['eval_loss_before']} -> {s['eval_loss_after']}")
    model, tok = load_adapter(run["adapter_dir"], profile)
    rows = heldout("test", args.per_task)
    ev = evaluate_systems(model, tok, rows, BASELINES, Context(load_split("train")),
                          batch_size=sizes.batch_size)
    print(format_table(results_table(ev)))
    best = best_system(ev, ["base zero-shot", "base k-shot", "base retrieval k-shot"])
    res = paired_test(pooled(ev, "adapter"), pooled(ev, best))
    print(f"\npaired test, adapter - {best} (pooled solved rate, n={res['n']}): {res['diff']:+.3f} "
          f"[{res['low']:+.3f}, {res['high']:+.3f}], p(bootstrap)={res['p_bootstrap']:.3g}, "
          f"McNemar only-adapter={res['mcnemar']['only_a']} only-{best}={res['mcnemar']['only_b']} "
          f"p={res['mcnemar']['p_value']:.3g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
