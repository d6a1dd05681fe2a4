"""Lesson 06: evaluation that settles claims: systems answer the same held-out rows, metrics come
from parsed replies, every number gets a 95% bootstrap interval.

    generation   `generate`: batched greedy generation with a progress bar, stopping at the end token
    systems      `SYSTEMS`: base zero-shot, base k-shot, base + retrieval k-shot, adapter,
                 adapter + retrieval k-shot, and the two facts systems: one base model, the
                 adapter switched off for the base systems (`disable_adapter`), so every system
                 sees the same weights
    evaluation   `evaluate_systems` -> `Evaluation` (replies + per-example scores),
                 `results_table` (every system x metric with intervals), `format_table`,
                 `pooled` and `best_system` (the pair a paired test compares)

The scores come from `course_utils.evaluate.metrics`, the intervals from
`course_utils.evaluate.stats`; the experiments that check the seeds' claims live in
`course_utils.evaluate.experiments`.

What this leaves out: sampling-based metrics (pass@k), LLM-as-judge scoring, latency/cost per
system (lesson 07 measures serving).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from course_utils.dataset.load import load_split
from course_utils.evaluate.metrics import macro_f1, parse_moderation_label, score_rows
from course_utils.evaluate.reply_cache import ReplyCache, model_identity
from course_utils.evaluate.retrieval import ExampleRetriever, FactRetriever, with_examples, with_facts, zero_shot
from course_utils.evaluate.stats import bootstrap_ci
from course_utils.model.stack import transformers_args
from course_utils.tasks import TASKS

# Longest reference answer in train.jsonl, in tiny-tokenizer tokens, plus headroom: triage 86,
# moderation 29, policy_qa 43. A reply that needs more is wrong anyway.
MAX_NEW_TOKENS = {"triage": 100, "moderation": 40, "policy_qa": 56}
K_SHOT = 3  # 3 triage examples ≈ 3 x 95 tokens: prompts stay well inside the tiny model's 512


# --------------------------------------------------------------------------------------------
# Generation


def generate(model, tokenizer, prompts: Sequence[list[dict]], *, batch_size: int = 16,
             max_new_tokens: int = 64, desc: str = "generating", progress: bool = True,
             cache: bool = True) -> list[str]:
    """Lesson 06. Greedy replies to chat `prompts` (lists of messages), in batches, left-padded,
    stopping each sequence at the end token. Prompts are batched by length (less padding) and
    the replies returned in the prompts' order. With `cache`, a reply this same model (base,
    adapter weights, adapter on or off: `reply_cache.model_identity`) gave to the same prompt
    with the same settings before is read from runs/reply_cache/ instead of generated again."""
    # torch and tqdm load on the first generation, not on import: the systems, their prompts
    # and the tables are used (and tested) without a model.
    import torch
    from tqdm.auto import tqdm

    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}: use 1 or more")
    if isinstance(prompts, dict) or (prompts and isinstance(prompts[0], dict)):
        raise TypeError("prompts: expected a list of conversations (each a list of messages); "
                        "for one conversation pass [messages]")
    tokenizer.padding_side = "left"  # decoder-only: new tokens follow the last real token
    texts = [tokenizer.apply_chat_template(list(p), **transformers_args.chat_prompt_kwargs("text"))
             for p in prompts]
    lengths = [len(tokenizer(t, **transformers_args.encode_kwargs())["input_ids"]) for t in texts]
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit and max(lengths, default=0) + max_new_tokens > limit:
        i = int(np.argmax(lengths))
        raise ValueError(f"prompt {i} has {lengths[i]} tokens; with max_new_tokens={max_new_tokens} "
                         f"it passes the model's {limit} positions: use fewer examples in the prompt")
    replies: list[str] = [""] * len(texts)
    store = ReplyCache(model_identity(model)) if cache else None
    keys = [ReplyCache.key("generate", t, max_new_tokens) for t in texts]
    todo = [i for i, k in enumerate(keys) if store is None or store.get(k) is None]
    for i in set(range(len(texts))) - set(todo):
        replies[i] = store.get(keys[i])
    order = sorted(todo, key=lambda i: lengths[i])
    eos = [tokenizer.eos_token_id]
    if tokenizer.pad_token_id is not None and tokenizer.pad_token_id not in eos:
        eos.append(tokenizer.pad_token_id)
    model.eval()  # dropout off: replies must not depend on a random mask
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    for batch in tqdm(batches, desc=desc, disable=not progress, leave=False):
        enc = tokenizer([texts[i] for i in batch],
                        **transformers_args.encode_kwargs(padded_batch=True)).to(model.device)
        with torch.no_grad():
            out = model.generate(**enc, **transformers_args.greedy_kwargs(
                max_new_tokens, tokenizer.pad_token_id, eos_token_id=eos))
        new = out[:, enc["input_ids"].shape[1]:]
        for i, seq in zip(batch, new):
            replies[i] = tokenizer.decode(seq, **transformers_args.decode_kwargs()).strip()
            if store is not None:
                store.put(keys[i], replies[i])
        if store is not None:
            store.save()          # after every batch: an interrupted evaluation keeps what it made
    return replies


# --------------------------------------------------------------------------------------------
# Systems


@dataclass(frozen=True)
class System:
    """Lesson 06. One way of answering: with or without the adapter, and how the prompt is built
    (`prompt(row, context) -> messages`, where context holds the retrievers)."""

    name: str
    adapter: bool
    prompt: Callable[[dict, "Context"], list[dict]]
    about: str = ""


@dataclass
class Context:
    """Lesson 06. What prompt builders may use: the training pool (fixed k-shot examples and
    the BM25 index over it), an optional fact table to retrieve from, and k."""

    pool: Sequence[dict]
    facts: Sequence[dict] | None = None
    k: int = K_SHOT
    _examples: ExampleRetriever | None = field(default=None, repr=False)
    _facts: FactRetriever | None = field(default=None, repr=False)

    def fixed_examples(self, task: str) -> list[dict]:
        """The first k training rows of `task` (the pool's order): the same shots for every input."""
        rows = [r for r in self.pool if r["task"] == task][: self.k]
        if len(rows) < self.k:
            raise ValueError(f"the pool has {len(rows)} {task} rows; k-shot needs k={self.k}")
        return rows

    def similar(self, row: dict) -> list[dict]:
        if self._examples is None:
            self._examples = ExampleRetriever(self.pool)
        return self._examples.top(row, self.k)

    def facts_for(self, row: dict, k: int = 3) -> list[dict]:
        if self.facts is None:
            raise ValueError("this system retrieves facts: build Context(..., facts=load_facts(version))")
        if self._facts is None:
            self._facts = FactRetriever(self.facts)
        return self._facts.top(next(m["content"] for m in row["messages"] if m["role"] == "user"), k)


SYSTEMS = {
    "base zero-shot": System("base zero-shot", False, lambda r, c: zero_shot(r),
                             "the base model, asked with the task's system prompt only"),
    "base k-shot": System("base k-shot", False, lambda r, c: with_examples(r, c.fixed_examples(r["task"])),
                          "the base model with k fixed examples of the task in the prompt"),
    "base retrieval k-shot": System("base retrieval k-shot", False,
                                    lambda r, c: with_examples(r, c.similar(r)),
                                    "the base model with the k most similar training examples (BM25)"),
    "adapter": System("adapter", True, lambda r, c: zero_shot(r),
                      "the fine-tuned adapter, asked like the base zero-shot"),
    "adapter + retrieval k-shot": System("adapter + retrieval k-shot", True,
                                         lambda r, c: with_examples(r, c.similar(r)),
                                         "the adapter with the k most similar training examples"),
    "base + facts": System("base + facts", False, lambda r, c: with_facts(r, c.facts_for(r)),
                           "the base model with the 3 best-matching facts in the system message"),
    "adapter + facts": System("adapter + facts", True, lambda r, c: with_facts(r, c.facts_for(r)),
                              "the adapter with the 3 best-matching facts in the system message"),
}
BASELINES = ["base zero-shot", "base k-shot", "base retrieval k-shot", "adapter",
             "adapter + retrieval k-shot"]


def _switch(model, use_adapter: bool):
    """A context manager: the adapter on (no-op) or off (`disable_adapter`) for one system."""
    if use_adapter:
        if not hasattr(model, "disable_adapter"):
            raise ValueError("this system needs the fine-tuned adapter, but the model carries none: "
                             "pass a PeftModel (peft.PeftModel.from_pretrained(base, adapter_dir))")
        return contextlib.nullcontext()
    return model.disable_adapter() if hasattr(model, "disable_adapter") else contextlib.nullcontext()


def _fit(system: System, row: dict, context: Context, tokenizer, model, max_new_tokens: int) -> list[dict]:
    """The system's prompt for `row`, with fewer examples (k, k-1, ... 0) when k of them would
    not leave `max_new_tokens` inside the model's context (the tiny model has 512 positions;
    3 long triage examples can fill it)."""
    limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    k0 = context.k
    try:
        for k in range(k0, -1, -1):
            context.k = k
            msgs = system.prompt(row, context)
            if limit is None or k == 0:
                return msgs
            n = len(tokenizer.apply_chat_template(
                msgs, **transformers_args.chat_prompt_kwargs("ids"))["input_ids"])
            if n + max_new_tokens <= limit:
                return msgs
        return msgs
    finally:
        context.k = k0


# --------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class Evaluation:
    """Lesson 06. Replies and per-example scores: `outputs[system][task]` (list of str),
    `scores[system][task][metric]` (numpy array, one value per row), and the rows per task."""

    rows: dict[str, list[dict]]
    outputs: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    scores: dict[str, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    prompts: dict[str, dict[str, list[list[dict]]]] = field(default_factory=dict)

    def labels(self, system: str) -> tuple[list[str | None], list[str]]:
        """(predicted, true) moderation labels of `system` (predicted None: unparseable)."""
        out = self.outputs[system]["moderation"]
        return ([parse_moderation_label(t) for t in out],
                [r["meta"]["label"] for r in self.rows["moderation"]])

    def failures(self, system: str, task: str, metric: str, n: int = 5) -> list[dict]:
        """Up to n rows where `system` scored 0 on `metric`: the question, the reference, the reply."""
        s = self.scores[system][task][metric]
        rows = self.rows[task]
        return [{"id": rows[i]["id"], "user": rows[i]["messages"][-2]["content"],
                 "reference": rows[i]["messages"][-1]["content"],
                 "reply": self.outputs[system][task][i]} for i in np.flatnonzero(s == 0)[:n]]


def evaluate_systems(model, tokenizer, rows: Sequence[dict], systems: Sequence[str] = tuple(BASELINES),
                     context: Context | None = None, *, batch_size: int = 16, progress: bool = True,
                     evaluation: Evaluation | None = None) -> Evaluation:
    """Lesson 06. Ask every system in `systems` (names of `SYSTEMS`) every row; score the replies.

    `model` is a PeftModel carrying the adapter (base systems switch it off) or a plain model
    (base systems only). `rows` may mix tasks; each task is generated and scored separately."""
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"systems: {unknown} unknown; choose from {list(SYSTEMS)}")
    if not rows:
        raise ValueError("rows is empty: pass held-out rows (e.g. load_split('test'))")
    if context is None:
        context = Context(load_split("train"))
    by_task = {t: [r for r in rows if r["task"] == t] for t in TASKS}
    by_task = {t: rs for t, rs in by_task.items() if rs}
    ev = evaluation or Evaluation(rows=by_task)
    for name in systems:
        sysm = SYSTEMS[name]
        ev.outputs.setdefault(name, {}), ev.scores.setdefault(name, {}), ev.prompts.setdefault(name, {})
        with _switch(model, sysm.adapter):
            for task, rs in by_task.items():
                prompts = [_fit(sysm, r, context, tokenizer, model, MAX_NEW_TOKENS[task]) for r in rs]
                replies = generate(model, tokenizer, prompts, batch_size=batch_size,
                                   max_new_tokens=MAX_NEW_TOKENS[task], desc=f"{name} · {task}",
                                   progress=progress)
                ev.prompts[name][task] = prompts
                ev.outputs[name][task] = replies
                ev.scores[name][task] = score_rows(task, replies, rs)
    return ev


def results_table(ev: Evaluation, *, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> list[dict]:
    """Lesson 06. One row per (system, task, metric): estimate and bootstrap interval, n.
    Moderation gets macro-F1 too (bootstrapped as a whole-set statistic)."""
    table = []
    for system, per_task in ev.scores.items():
        for task, metrics in per_task.items():
            for metric, values in metrics.items():
                est, lo, hi = bootstrap_ci(values, n_boot=n_boot, level=level, seed=seed)
                table.append(dict(system=system, task=task, metric=metric, estimate=est,
                                  low=lo, high=hi, n=len(values)))
            if task == "moderation":
                pred, true = ev.labels(system)
                pred_a, true_a = np.array(pred, dtype=object), np.array(true, dtype=object)
                est, lo, hi = bootstrap_ci(statistic=lambda idx: macro_f1(list(pred_a[idx]), list(true_a[idx])),
                                           n=len(true), n_boot=min(n_boot, 1000), level=level, seed=seed)
                table.append(dict(system=system, task=task, metric="macro_f1", estimate=est,
                                  low=lo, high=hi, n=len(true)))
    return table


def format_table(table: Sequence[dict], metrics: Sequence[str] | None = None) -> str:
    """Lesson 06. The results table as text: one line per task/metric, one column per system,
    each cell `estimate [low, high]`."""
    systems = list(dict.fromkeys(r["system"] for r in table))
    keys = list(dict.fromkeys((r["task"], r["metric"]) for r in table))
    if metrics is not None:
        keys = [k for k in keys if k[1] in metrics]
    cell = {(r["system"], r["task"], r["metric"]): r for r in table}
    w = max(19, *(len(s) for s in systems))
    lines = [f"{'task / metric':<28}" + "".join(f"{s:>{w + 2}}" for s in systems)]
    for task, metric in keys:
        line = f"{task + ' / ' + metric:<28}"
        for s in systems:
            r = cell.get((s, task, metric))
            text = "—" if r is None else f"{r['estimate']:.2f} [{r['low']:.2f}, {r['high']:.2f}]"
            line += f"{text:>{w + 2}}"
        lines.append(line)
    return "\n".join(lines)


def pooled(ev: Evaluation, system: str, metric_by_task: dict[str, str] | None = None) -> np.ndarray:
    """Lesson 06. One 0/1 "task solved" score per example across tasks, for a paired test over
    everything: triage exact_match, moderation accuracy, policy_qa value_correct by default."""
    metric_by_task = metric_by_task or {"triage": "exact_match", "moderation": "accuracy",
                                        "policy_qa": "value_correct"}
    return np.concatenate([ev.scores[system][t][m] for t, m in metric_by_task.items()
                           if t in ev.scores[system]])


def best_system(ev: Evaluation, candidates: Sequence[str], metric_by_task: dict[str, str] | None = None) -> str:
    """Lesson 06. The candidate with the highest pooled score (ties: the first listed)."""
    return max(candidates, key=lambda s: (pooled(ev, s, metric_by_task).mean(), -list(candidates).index(s)))
