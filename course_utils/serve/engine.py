"""Lesson 07: many LoRA adapters on one base model, served from one process.

    adapters     `train_task_adapters` (one adapter per course task, with lesson 05's `train`)
                 and `random_adapters` (untrained LoRA weights: cheap fixtures for tests)
    engine       `MultiAdapterModel`: one base (4-bit by default) + N adapters; `route` maps a
                 request's model name to an adapter; `generate` runs ONE batch in which every
                 row may use a different adapter (PEFT's `adapter_names=[...]`, "__base__" for
                 the bare base model)
    measurements `switch_latency`, `compare_throughput` (mixed batch / single-adapter batch /
                 one request at a time), `memory_footprint` (one base + N adapters against N
                 merged models, measured here), `gpu_adapter_capacity` (the lesson 02
                 estimator on 24/40/80 GB GPUs, beside the seed article's claim)
    CLI          python -m course_utils.serve --base tiny --adapter triage=runs/.../adapter ...
                 (the OpenAI-compatible HTTP server of `course_utils.serve.http`)

Adapter selection is model state: `set_adapter` and the hooks behind `adapter_names` change
what every later forward pass computes. Two threads generating at once would mix adapters, so
the engine holds a lock and the server gives the model to one worker thread.

What this leaves out: streaming, sampling with per-request seeds, prefix caching and paged KV
memory (vLLM's territory; `course_utils.serve.vllm` writes the command that gets them).
"""

from __future__ import annotations

import argparse
import copy
import math
import re
import statistics
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import torch

from course_utils.paths import REPO_ROOT, run_dir
from course_utils.tasks import TASKS

BASE = "__base__"                      # PEFT's name for "no adapter" in a mixed batch
ADAPTERS_DIR = run_dir("07", "adapters")   # git-ignored
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# The seed article's claim, set beside the estimate in lesson 07 (quoted, not repeated as fact).
SEED_CLAIM = dict(adapters=25, gpu="A100 80GB", gpu_gb=80, base="mistral-7b",
                  source="'Fine-tuning LLMs on a budget' (zerotomodel.com; mid-2026)",
                  url="https://zerotomodel.com/blog/fine-tuning-llms-on-a-budget")


class AdapterNotFoundError(ValueError):
    """Lesson 07. A request named a model that this engine does not serve."""


class ContextLengthError(ValueError):
    """Lesson 07. A prompt plus the tokens asked for do not fit in the model's context."""


@dataclass
class Completion:
    """Lesson 07. One generated answer: text, token counts, why it ended ("stop" / "length")."""

    text: str
    adapter: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    token_ids: list[int] = field(default_factory=list, repr=False)


def check_adapter_name(name: str, what: str = "adapter name") -> str:
    """Lesson 07. A usable adapter name: letters, digits, '.', '_' or '-', not the reserved "__base__"."""
    if not isinstance(name, str) or not _NAME.match(name) or name == BASE:
        raise ValueError(f"{what} {name!r} is not usable: use 1-64 letters, digits, '.', '_' or '-' "
                         f"(starting with a letter or digit), and not {BASE!r}, which names the base")
    return name


def adapter_dir(path) -> Path:
    """Lesson 07. The folder of a saved PEFT adapter (it holds adapter_config.json), or a clear error."""
    p = Path(path).expanduser()
    if (p / "adapter" / "adapter_config.json").is_file():  # a `train` output folder
        p = p / "adapter"
    if not (p / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{p} holds no adapter_config.json, so it is not a saved LoRA adapter. "
                                f"Point at the folder `save_pretrained` wrote (train(...) writes "
                                f"<output_dir>/adapter)")
    return p


@contextmanager
def torch_threads(n: int | None):
    """Lesson 07. Run torch with `n` intra-op threads inside the block (None: leave as is).

    One thread per model-owning worker: with the default OpenMP threads, generation on a
    non-main thread of a 2-core machine ran 2.5x slower here (threads fighting for the cores)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


# --- adapters ---------------------------------------------------------------------------------
def random_adapters(out_dir, names: Sequence[str] = TASKS, base: str = "tiny", r: int = 8,
                    alpha: float = 16, seed: int = 0, target_modules="all-linear") -> dict[str, Path]:
    """Lesson 07 (and the tests). Save one LoRA adapter per name with random, untrained weights.

    `init_lora_weights=False` draws both A and B at random (a fresh adapter has B = 0 and would
    answer exactly like the base), so each adapter answers differently: what a routing test
    needs, in a second, with no training. They are not trained on anything."""
    from peft import LoraConfig, get_peft_model

    from course_utils.model.load import load_model

    base_model, _ = load_model(base, quantization="none")
    out, paths = Path(out_dir), {}
    for i, name in enumerate(names):
        check_adapter_name(name)
        torch.manual_seed(seed + i)
        cfg = LoraConfig(r=r, lora_alpha=alpha, target_modules=target_modules, lora_dropout=0.0,
                         init_lora_weights=False, bias="none", task_type="CAUSAL_LM")
        peft_model = get_peft_model(copy.deepcopy(base_model), cfg)
        peft_model.save_pretrained(out / name)
        paths[name] = out / name
    return paths


TINY_STEPS = 24   # "a few dozen" CPU steps per adapter: ~30 s each on 2 busy cores, one thread


def train_task_adapters(out_dir=None, tasks: Sequence[str] = TASKS, preset: str | None = None,
                        max_steps: int | None = None, seed: int = 0, reuse: bool = True) -> dict[str, Path]:
    """Lesson 07. One adapter per course task, trained with lesson 05's `train` on that task's rows.

    preset: a course preset (None: the profile for this machine). max_steps: TINY_STEPS on the
    tiny profile, the profile's own run (an epoch of the task's rows) on a GPU. Runs land in
    runs/07_adapters/<preset>/<task>/; with `reuse`, a finished run with the same step count is
    loaded instead of trained again. Returns {task: adapter folder}."""
    import json

    from course_utils.model.load import base_identity
    from course_utils.model.profiles import run_sizes
    from course_utils.training.run import profile_for, task_rows, train

    profile = profile_for(preset)
    sizes = run_sizes(profile)
    if max_steps is None:
        max_steps = TINY_STEPS if profile.is_tiny else sizes.max_steps
    n_train = 10 * max_steps if profile.is_tiny and max_steps > 0 else sizes.train_examples
    out = Path(out_dir) if out_dir is not None else ADAPTERS_DIR / profile.name
    paths = {}
    for task in tasks:
        run = out / task
        summary = run / "run_summary.json"
        base_mark = run / "base_identity.txt"
        if reuse and summary.is_file() and (run / "adapter" / "adapter_config.json").is_file() \
                and base_mark.is_file() and base_mark.read_text() == base_identity(profile.name):
            s = json.loads(summary.read_text())
            if s.get("status") == "finished" and (max_steps < 0 or s.get("max_steps") == max_steps):
                paths[task] = run / "adapter"
                continue
        result = train(profile, run, train_rows=task_rows("train", n_train, task=task),
                       eval_rows=task_rows("validation", min(16, sizes.eval_examples) if profile.is_tiny
                                           else sizes.eval_examples, task=task),
                       max_steps=max_steps, save_steps=max_steps if max_steps > 0 else None,
                       seed=seed, overwrite=True, eval_before=False)
        base_mark.write_text(base_identity(profile.name))
        paths[task] = Path(result.adapter_dir)
    return paths


# --- the engine -------------------------------------------------------------------------------
class MultiAdapterModel:
    """Lesson 07. One base model and several LoRA adapters, answering mixed-adapter batches."""

    def __init__(self, model, tokenizer, base_name: str = "tiny"):
        self.model, self.tokenizer, self.base_name = model, tokenizer, str(base_name)
        self.adapter_paths: dict[str, Path] = {}
        self._lock = threading.RLock()   # one generation at a time: adapter choice is model state
        from course_utils.model.profiles import PRESETS

        self.preset_name = self.base_name if self.base_name in PRESETS else None
        gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        gen_eos = gen_eos if isinstance(gen_eos, (list, tuple)) else [gen_eos]
        self.eos_ids = sorted({i for i in [*gen_eos, tokenizer.eos_token_id] if i is not None})
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_ids[0]

    @classmethod
    def load(cls, base: str = "tiny", adapters: Mapping[str, str | Path] | None = None,
             quantization: str = "nf4", profile=None) -> "MultiAdapterModel":
        """Load the base once (4-bit NF4 by default) and every adapter of {name: folder} onto it."""
        from course_utils.model.load import load_model

        model, tokenizer = load_model(base, quantization=quantization, profile=profile)
        engine = cls(model, tokenizer, base_name=str(base))
        for name, path in (adapters or {}).items():
            engine.add_adapter(name, path)
        return engine

    @property
    def is_peft(self) -> bool:
        return hasattr(self.model, "peft_config")

    @property
    def names(self) -> list[str]:
        """Every model name a request may use: the base's name, then the adapters."""
        return [self.base_name, *self.adapter_paths]

    @property
    def context_length(self) -> int:
        cfg = self.model.config
        return int(getattr(cfg, "max_position_embeddings", None) or self.tokenizer.model_max_length)

    def add_adapter(self, name: str, path) -> None:
        """Load the adapter saved in `path` under `name` (no copy of the base is made)."""
        check_adapter_name(name)
        if name in self.adapter_paths or name == self.base_name:
            raise ValueError(f"adapter name {name!r} is already in use; pick another name")
        path = adapter_dir(path)
        with self._lock:
            try:
                if not self.is_peft:
                    from peft import PeftModel

                    self.model = PeftModel.from_pretrained(self.model, str(path), adapter_name=name)
                else:
                    self.model.load_adapter(str(path), adapter_name=name)
            except RuntimeError as err:  # size mismatch: trained for another base model
                if self.is_peft and name in self.model.peft_config:
                    self.model.delete_adapter(name)   # leave no half-loaded adapter behind
                raise ValueError(f"adapter {name!r} in {path} does not fit the base {self.base_name!r}: "
                                 f"{str(err).splitlines()[0]} — check base_model_name_or_path in its "
                                 f"adapter_config.json (course_utils.serve.vllm.check_adapter "
                                 f"explains)") from err
            self.model.eval()
        self.adapter_paths[name] = path

    def route(self, model_name: str) -> str:
        """The adapter a request's `model` field selects ("__base__" for the base model)."""
        if model_name in self.adapter_paths:
            return model_name
        if model_name in (self.base_name, BASE):
            return BASE
        raise AdapterNotFoundError(f"The model {model_name!r} is not served here. Use one of "
                                   f"{self.names} (GET /v1/models lists them).")

    def encode(self, prompt, chat: bool = True) -> list[int]:
        """Token ids of a prompt: a chat (a string or a list of messages, with the chat template
        and the assistant header) or, with chat=False, raw text as /v1/completions sends it."""
        from course_utils.model.load import format_messages

        with self._lock:
            if chat:
                ids = self.tokenizer.apply_chat_template(
                    format_messages(prompt, self.preset_name), add_generation_prompt=True,
                    tokenize=True, return_dict=True)["input_ids"]
            else:
                ids = self.tokenizer(prompt)["input_ids"]
        return list(ids)

    def check_fits(self, n_prompt: int, max_new_tokens: int) -> None:
        """Raise ContextLengthError when the prompt and the answer exceed the context."""
        if n_prompt + max_new_tokens > self.context_length:
            raise ContextLengthError(
                f"This model's context is {self.context_length} tokens, and the request needs "
                f"{n_prompt + max_new_tokens} ({n_prompt} in the prompt + max_tokens={max_new_tokens}). "
                f"Shorten the prompt or lower max_tokens.")

    def generate(self, prompts: Sequence, adapters: Sequence[str], max_new_tokens: int = 48,
                 chat: bool = True, **kw) -> list[Completion]:
        """Answer every prompt with its own adapter (model name), in ONE batched `generate`."""
        return self.generate_ids([self.encode(p, chat) for p in prompts], adapters, max_new_tokens, **kw)

    def generate_ids(self, prompt_ids: Sequence[Sequence[int]], adapters: Sequence[str],
                     max_new_tokens: int | Sequence[int] = 48, temperature: float = 0.0,
                     top_p: float = 1.0, min_new_tokens: int | None = None) -> list[Completion]:
        """The batched core: left-pad the prompts, one `generate`, cut each row at EOS or its limit.

        Greedy unless temperature > 0. All rows one adapter: `set_adapter` (or the adapter switched
        off for the base) and a plain batch; otherwise `adapter_names=[...]`, which routes each
        row through its own adapter inside every LoRA layer."""
        if len(prompt_ids) != len(adapters) or not prompt_ids:
            raise ValueError(f"give one adapter per prompt: {len(prompt_ids)} prompts, {len(adapters)} adapters")
        names = [self.route(a) for a in adapters]
        limits = ([int(max_new_tokens)] * len(names) if isinstance(max_new_tokens, int)
                  else [int(m) for m in max_new_tokens])
        for ids, limit in zip(prompt_ids, limits):
            self.check_fits(len(ids), limit)
        width = max(len(ids) for ids in prompt_ids)
        input_ids = torch.full((len(names), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(names), width), dtype=torch.long)
        for i, ids in enumerate(prompt_ids):  # left padding: every row's last token at the end
            input_ids[i, width - len(ids):] = torch.tensor(list(ids), dtype=torch.long)
            mask[i, width - len(ids):] = 1
        kw = dict(max_new_tokens=max(limits), do_sample=temperature > 0, pad_token_id=self.pad_id,
                  eos_token_id=self.eos_ids, temperature=temperature or None, top_p=top_p,
                  top_k=None)  # greedy: drop a preset's own sampling defaults (Qwen ships top_k=20)
        if temperature <= 0:
            kw["top_p"] = None
        if min_new_tokens:
            kw["min_new_tokens"] = min_new_tokens  # benchmarks: every row the same length
        device = self.model.device
        with self._lock, torch.no_grad():
            self.model.eval()
            same = len(set(names)) == 1
            if not self.is_peft:
                ctx = nullcontext()
            elif same and names[0] == BASE:
                ctx = self.model.disable_adapter()
            elif same:
                self.model.set_adapter(names[0])
                ctx = nullcontext()
            else:  # PEFT splits each LoRA layer's batch by adapter (peft 0.21,
                # LoraLayer._mixed_batch_forward; "__base__" rows get no LoRA term)
                ctx, kw["adapter_names"] = nullcontext(), names
            with ctx:
                out = self.model.generate(input_ids=input_ids.to(device), attention_mask=mask.to(device), **kw)
            rows = out[:, width:].tolist()
            results = []
            for name, adapter, row, limit, ids in zip(names, adapters, rows, limits, prompt_ids):
                new, finish = [], "length"
                for tok in row[:limit]:
                    if tok in self.eos_ids:
                        finish = "stop"
                        break
                    new.append(tok)
                text = self.tokenizer.decode(new, skip_special_tokens=True)
                results.append(Completion(text, adapter, len(ids), len(new) + (finish == "stop"),
                                          finish, new))
        return results


# --- measurements -----------------------------------------------------------------------------
def switch_latency(engine: MultiAdapterModel, repeats: int = 30) -> dict[str, float]:
    """Lesson 07. Milliseconds to switch the active adapter (`set_adapter`), and to load one from disk."""
    names = list(engine.adapter_paths)
    if not names:
        raise ValueError("switch_latency needs an engine with at least one adapter")
    times = []
    with engine._lock:
        for i in range(repeats):
            t = time.perf_counter()
            engine.model.set_adapter(names[i % len(names)])
            times.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        engine.model.load_adapter(str(engine.adapter_paths[names[0]]), adapter_name="_latency_probe")
        load_ms = (time.perf_counter() - t) * 1e3
        engine.model.delete_adapter("_latency_probe")
        engine.model.set_adapter(names[0])
    return dict(set_adapter_ms=statistics.median(times), set_adapter_p95_ms=sorted(times)[int(0.95 * (len(times) - 1))],
                load_adapter_ms=load_ms)


def compare_throughput(engine: MultiAdapterModel, prompts: Sequence, adapters: Sequence[str],
                       max_new_tokens: int = 16, threads: int | None = 1, chat: bool = True) -> dict[str, dict]:
    """Lesson 07. Requests/s of the same prompts three ways (each row forced to `max_new_tokens`):

    mixed      one batch, each row through its own adapter (`adapter_names`)
    single     one batch, every row through the first adapter (the best case for batching)
    sequential one request at a time, switching adapter before each (no batching at all)
    """
    ids = [engine.encode(p, chat) for p in prompts]
    n = len(ids)
    kw = dict(max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens)
    runs = {
        "mixed": lambda: engine.generate_ids(ids, adapters, **kw),
        "single": lambda: engine.generate_ids(ids, [adapters[0]] * n, **kw),
        "sequential": lambda: [engine.generate_ids([i], [a], **kw) for i, a in zip(ids, adapters)],
    }
    out = {}
    with torch_threads(threads):
        engine.generate_ids(ids[:1], adapters[:1], max_new_tokens=2)  # warm-up
        for mode, run in runs.items():
            t = time.perf_counter()
            run()
            s = time.perf_counter() - t
            out[mode] = dict(seconds=s, requests_per_s=n / s, tokens_per_s=n * max_new_tokens / s)
    return out


def _tensor_bytes(t) -> int:
    return t.numel() * t.element_size()


def memory_footprint(engine: MultiAdapterModel) -> dict:
    """Lesson 07. Bytes held by the base and by each adapter, measured on the loaded tensors, and
    what N merged models would hold instead. A merge writes the adapter into every weight, so each
    merged model is a full copy of the base in the compute dtype: every weight's real shape (a
    4-bit matrix unpacked) times the bytes of the embedding's dtype. Nothing extra is loaded."""
    base, merged, per = 0, 0, {}
    compute_bytes = engine.model.get_input_embeddings().weight.element_size()
    for name, p in engine.model.named_parameters():
        if ".lora_" in name:
            key = name.split(".")[-2]
            per[key] = per.get(key, 0) + _tensor_bytes(p)
            continue
        base += _tensor_bytes(p)
        qs = getattr(p, "quant_state", None)   # 4-bit: absmax and code tables live beside the weight
        if qs is not None:
            base += sum(_tensor_bytes(t) for t in (qs.absmax, qs.code) if t is not None)
            if getattr(qs, "state2", None) is not None:
                base += _tensor_bytes(qs.state2.absmax) + _tensor_bytes(qs.state2.code)
        merged += math.prod(qs.shape if qs is not None else p.shape) * compute_bytes
    buffers = sum(_tensor_bytes(b) for b in engine.model.buffers())
    n = len(per)
    return dict(base_bytes=base + buffers, adapter_bytes=per,
                one_base_plus_adapters=base + buffers + sum(per.values()),
                merged_model_bytes=merged + buffers, n_merged_models=n * (merged + buffers), n=n)


def gpu_adapter_capacity(model: str = "mistral-7b", gpus_gb: Iterable[float] = (24, 40, 80),
                         ranks: Iterable[int] = (8, 16, 64), quantization: str = "none",
                         context_len: int = 4096, batch_size: int = 8,
                         target_modules="all-linear") -> list[dict]:
    """Lesson 07. How many LoRA adapters of each rank fit beside one base on each GPU, and how many
    merged copies of the model would fit instead (lesson 02's estimator; 10% headroom)."""
    from course_utils.plan import memory as M

    base = M.estimate_inference_memory(model, quantization, batch_size, context_len, 0)
    per_copy = base.total_bytes - M.FRAMEWORK_OVERHEAD_BYTES   # a merged copy: weights + its KV cache
    rows = []
    for gb in gpus_gb:
        usable = gb * M.GIB * (1 - M.DEFAULT_HEADROOM)
        for r in ranks:
            rows.append(dict(
                gpu_gb=gb, lora_r=r, base_gb=base.total_bytes / M.GB,
                adapter_mb=M.lora_param_count(model, r, target_modules) * 2 / 1e6,
                adapters_that_fit=M.max_adapters_that_fit(
                    model, gb, quantization=quantization, batch_size=batch_size,
                    context_len=context_len, lora_r=r, target_modules=target_modules),
                merged_copies_that_fit=max(0, int((usable - M.FRAMEWORK_OVERHEAD_BYTES) // per_copy))))
    return rows


def main(argv=None) -> int:
    """Lesson 07. `python -m course_utils.serve --base NAME --adapter NAME=PATH ...`: the HTTP server."""
    from course_utils.serve.http import serve_forever

    p = argparse.ArgumentParser(prog="python -m course_utils.serve",
                                description="An OpenAI-compatible server for one base model and its LoRA adapters.")
    p.add_argument("--base", default="tiny", help="a course preset, a model folder or a Hub id (default: tiny)")
    p.add_argument("--adapter", action="append", default=[], metavar="NAME=PATH",
                   help="an adapter to serve under NAME (repeat for more)")
    p.add_argument("--quantization", default="nf4", choices=("nf4", "none"))
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1: this machine only")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--window-ms", type=float, default=10.0, help="micro-batching window (default 10 ms)")
    p.add_argument("--max-batch", type=int, default=16)
    args = p.parse_args(argv)
    adapters = {}
    for item in args.adapter:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            p.error(f"--adapter {item!r}: write NAME=PATH, e.g. --adapter triage=runs/07_adapters/triage/adapter")
        try:
            check_adapter_name(name)
            adapters[name] = adapter_dir(path)
        except (ValueError, FileNotFoundError) as err:
            p.error(f"--adapter {item!r}: {err}")
    engine = MultiAdapterModel.load(args.base, adapters, quantization=args.quantization)
    serve_forever(engine, host=args.host, port=args.port, window_ms=args.window_ms, max_batch=args.max_batch)
    return 0

