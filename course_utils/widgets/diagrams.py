"""The course's diagrams, drawn by code: LoRA, QLoRA's 4-bit storage, the loss mask on a chat row,
and one base model serving many adapters in a mixed batch (lessons 02, 04, 05 and 07).

Every function returns a `matplotlib.figure.Figure` built without pyplot (no global figure
state), so two calls give the same PNG bytes. Every number drawn comes from the course's own
code: parameter counts from `lora_param_count` and the model's `config.json`, NF4 bits per
weight from `nf4_bytes` and its block-size constants, memory from `estimate_inference_memory`,
the chat row and its mask from `tokenize_with_mask` on a row of ``data/tasks/train.jsonl``.
Importing this module imports no torch; only `chat_mask_diagram` loads the course tokenizer
(through transformers), when it is called.

What this leaves out: interactive versions (these are static figures), other chat templates'
role markers (the mask is drawn for any tokenizer, the role labels only for ChatML), and
animation of the forward pass.
"""

from __future__ import annotations

import random
from statistics import NormalDist
from typing import Sequence

from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from course_utils.dataset import load_chat_tokenizer, load_split, tokenize_with_mask
from course_utils.model.stack import transformers_args
from course_utils.plan import GB, estimate_inference_memory, lora_param_count, resolve_config
from course_utils.plan.memory.arithmetic import DQ_BLOCKSIZE, NF4_BLOCKSIZE, nf4_bytes
from course_utils.tasks import SYSTEM_PROMPTS, TASKS

FROZEN, TRAINED, MASKED, NOTE = "#d0d4da", "#7cc47f", "#eeeeee", "#555555"
ADAPTER_COLOURS = ("#4c9be8", "#f0a03c", "#b07cd8", "#e8706a", "#52b5a8", "#c9b342")
BASE_NAME = "base"
CHAR_W = 0.065  # inches per character of 7-point DejaVu Sans Mono, plus a margin


# --- drawing helpers -----------------------------------------------------------------------------

def _canvas(width: float, height: float) -> tuple[Figure, object]:
    """A figure whose axes run 0..width by 0..height in inches, with no frame."""
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def _text(ax, x, y, s, size=9, **kw):
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    return ax.text(x, y, s, fontsize=size, parse_math=False, **kw)


def _box(ax, x, y, w, h, label="", colour=FROZEN, size=9, edge="#333333", **text_kw):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.05",
                                facecolor=colour, edgecolor=edge, linewidth=1))
    if label:
        _text(ax, x + w / 2, y + h / 2, label, size, **text_kw)


def _arrow(ax, start, end, colour="#333333"):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="->", color=colour, linewidth=1.2))


def _millions(n: int) -> str:
    return f"{n / 1e6:,.1f} M"


def _matrix(model: str, module: str):
    """(config, the module's LinearSpec) for one adapted matrix of `model`."""
    cfg = resolve_config(model)
    spec = next((s for s in cfg.linear_layers() if s.name == module), None)
    if spec is None:
        raise ValueError(f"module={module!r}: {cfg.name} has no such linear layer; choose one of "
                         f"{cfg.module_names()}")
    return cfg, spec


# --- LoRA ---------------------------------------------------------------------------------------

def lora_diagram(model: str = "qwen2.5-7b", r: int = 16, alpha: int = 32,
                 module: str = "q_proj") -> Figure:
    """Lesson 05. h = W x + (alpha/r)·B A x on one matrix of `model`: W frozen, A and B trained.

    The shapes and counts are the model's own (`config.json`, `lora_param_count`).
    """
    cfg, s = _matrix(model, module)
    per_matrix = lora_param_count(cfg, r, [module]) // cfg.num_hidden_layers
    total = lora_param_count(cfg, r)
    fig, ax = _canvas(10, 5.4)
    _text(ax, 5, 5.1, f"LoRA on {cfg.name} {module}:  h = W x + (α/r) · B A x", 12,
          weight="bold")
    _box(ax, 0.2, 2.6, 1.3, 0.6, f"x\nd_in = {s.d_in:,}", "#ffffff")
    _box(ax, 2.2, 3.0, 2.6, 1.6, f"W  (frozen)\n{s.d_out:,} × {s.d_in:,}\n"
                                 f"{_millions(s.d_in * s.d_out)} weights, no gradient")
    _box(ax, 2.2, 1.55, 2.6, 0.55, f"A  (trained)  {r} × {s.d_in:,}\nrandom at the start",
         TRAINED, 8)
    _box(ax, 5.3, 0.75, 0.6, 1.9, f"B\n(trained)\n{s.d_out:,}\n× {r}\nzero at\nthe start",
         TRAINED, 8)
    _box(ax, 6.4, 1.35, 1.3, 0.7, f"× α/r\n= {alpha}/{r} = {alpha / r:g}", "#fff3c4", 9)
    _box(ax, 8.1, 2.6, 0.5, 0.6, "+", "#ffffff", 14)
    _box(ax, 9.0, 2.6, 0.9, 0.6, f"h\nd_out = {s.d_out:,}", "#ffffff", 7)
    _arrow(ax, (1.5, 2.95), (2.2, 3.7))
    _arrow(ax, (1.5, 2.85), (2.2, 1.85))
    _arrow(ax, (4.8, 1.8), (5.3, 1.8))
    _arrow(ax, (5.9, 1.7), (6.4, 1.7))
    _arrow(ax, (4.8, 3.8), (8.3, 3.2))
    _arrow(ax, (7.7, 1.8), (8.3, 2.6))
    _arrow(ax, (8.6, 2.9), (9.0, 2.9))
    share = per_matrix / (s.d_in * s.d_out)
    _text(ax, 0.2, 0.45, f"trained in this matrix: r·(d_in + d_out) = {r}·({s.d_in:,} + "
                         f"{s.d_out:,}) = {per_matrix:,}  ({share:.2%} of W)", 9, ha="left")
    _text(ax, 0.2, 0.15, f"all linear layers of the {cfg.num_hidden_layers} blocks: "
                         f"{total:,} trainable = {total / cfg.param_count():.2%} of "
                         f"{cfg.param_count() / 1e9:.2f} B parameters", 9, ha="left")
    return fig


# --- QLoRA ----------------------------------------------------------------------------------------

def nf4_bits_per_weight(double_quant: bool = True) -> tuple[float, float]:
    """Lesson 05. (code bits, scale bits) per weight of a large NF4 matrix, from `nf4_bytes`.

    Measured as the growth of `nf4_bytes` between two sizes, so each matrix's fixed lookup
    tables drop out: 4 and 0.5 (one fp32 absmax per 64), or 4 and ~0.127 with double quantization.
    """
    n = NF4_BLOCKSIZE * DQ_BLOCKSIZE * 64
    (p1, c1), (p2, c2) = nf4_bytes(n, double_quant), nf4_bytes(2 * n, double_quant)
    return (p2 - p1) * 8 / n, (c2 - c1) * 8 / n


def nf4_levels() -> list[float]:
    """Lesson 05. The 16 NF4 levels in [-1, 1]: quantiles of a normal distribution, 8 above zero,
    zero, 7 below (bitsandbytes' `create_normal_map` with its offset 0.9677083)."""
    normal, offset = NormalDist(), 0.9677083

    def steps(n):  # n evenly spaced probabilities from `offset` down to 0.5, the last left out
        return [offset + (0.5 - offset) * k / (n - 1) for k in range(n - 1)]

    values = [normal.inv_cdf(p) for p in steps(9)] + [0.0] + [-normal.inv_cdf(p) for p in steps(8)]
    top = max(values)
    return sorted(v / top for v in values)


def _nf4_block(ax, x, y, width):
    """64 normally spread weights as their 4-bit codes (hex digits, coloured by level); returns
    the block's absmax."""
    rng = random.Random(0)
    weights = [rng.gauss(0, 1) for _ in range(NF4_BLOCKSIZE)]
    top = max(abs(v) for v in weights)
    levels = nf4_levels()
    cmap = colormaps["coolwarm"]
    cell = width / NF4_BLOCKSIZE
    for i, v in enumerate(weights):
        code = min(range(len(levels)), key=lambda k: abs(levels[k] - v / top))
        ax.add_patch(FancyBboxPatch((x + i * cell, y), cell, 0.45, boxstyle="square,pad=0",
                                    facecolor=cmap(code / (len(levels) - 1)), edgecolor="white",
                                    linewidth=0.3))
        _text(ax, x + (i + 0.5) * cell, y + 0.22, f"{code:X}", 6)
    return top


def qlora_diagram(model: str = "qwen2.5-7b", r: int = 16, compute_dtype: str = "bf16") -> Figure:
    """Lesson 02 (and 05). NF4 blocks of 64 weights with one absmax each, double quantization of
    the absmax in blocks of 256, and the LoRA adapters beside the 4-bit base in the compute dtype."""
    cfg = resolve_config(model)
    code, scale_fp32 = nf4_bits_per_weight(False)
    _, scale_dq = nf4_bits_per_weight(True)
    base = estimate_inference_memory(cfg, "nf4", compute_dtype=compute_dtype).param_bytes
    full = cfg.param_count() * 2
    lora = lora_param_count(cfg, r)
    fig, ax = _canvas(11, 6.2)
    _text(ax, 5.5, 5.9, f"QLoRA: a 4-bit NF4 base, frozen, with LoRA adapters in {compute_dtype}",
          12, weight="bold")
    _text(ax, 0.3, 5.4, f"1. A block of {NF4_BLOCKSIZE} weights, each a {code:g}-bit NF4 code "
                        f"(0-F: {len(nf4_levels())} levels at the quantiles of a normal "
                        "distribution); weight ≈ level[code] × absmax", 9, ha="left")
    top = _nf4_block(ax, 0.3, 4.75, 7.4)
    _box(ax, 8.0, 4.75, 2.7, 0.45, f"1 absmax per {NF4_BLOCKSIZE} (= {top:.2f} here)",
         "#fff3c4", 8)
    _text(ax, 0.3, 4.3, f"2. Double quantization: {DQ_BLOCKSIZE} absmax values (one per block) "
                        f"are stored in 8 bits, with one fp32 absmax per {DQ_BLOCKSIZE} blocks",
          9, ha="left")
    for i in range(16):
        _box(ax, 0.3 + i * 0.46, 3.65, 0.4, 0.4, "8b", "#fff3c4", 7)
    _text(ax, 7.85, 3.85, f"… ×{DQ_BLOCKSIZE}", 9, ha="left")
    _box(ax, 8.9, 3.65, 1.8, 0.4, "1 fp32 absmax", "#ffe08a", 8)
    rows = [("4-bit codes", code), (f"absmax in fp32, 1 per {NF4_BLOCKSIZE}", scale_fp32),
            ("absmax double-quantized", scale_dq),
            ("total per weight (with double quantization)", code + scale_dq)]
    for i, (label, bits) in enumerate(rows):
        _text(ax, 0.5, 3.2 - i * 0.28, f"{label}:", 9, ha="left")
        _text(ax, 5.0, 3.2 - i * 0.28, f"{bits:.3f} bits/weight", 9, ha="left",
              weight="bold" if i == 3 else "normal")
    _text(ax, 6.9, 2.78, f"{cfg.name}: {base / GB:.1f} GB in NF4\n(embeddings, norms, lm_head "
                         f"stay {compute_dtype})\ninstead of {full / GB:.1f} GB in 16-bit", 9,
          ha="left")
    _text(ax, 0.3, 1.75, "3. One linear layer during training", 9, ha="left")
    _box(ax, 0.3, 0.35, 1.1, 1.1, "x")
    _box(ax, 2.0, 0.9, 3.0, 0.6, "W: NF4, frozen → dequantized to\n"
                                 f"{compute_dtype} for the matmul, then dropped", FROZEN, 8)
    _box(ax, 2.0, 0.1, 3.0, 0.6, f"LoRA A, B in {compute_dtype}, trained\n"
                                 f"r = {r}: {_millions(lora)} params, {lora * 2 / 1e6:.0f} MB",
         TRAINED, 8)
    _box(ax, 5.6, 0.5, 0.5, 0.5, "+", "#ffffff", 14)
    _arrow(ax, (1.4, 1.0), (2.0, 1.2))
    _arrow(ax, (1.4, 0.8), (2.0, 0.4))
    _arrow(ax, (5.0, 1.2), (5.6, 0.8))
    _arrow(ax, (5.0, 0.4), (5.6, 0.7))
    _text(ax, 6.4, 0.75, f"gradients flow through W's {compute_dtype} copy into A and B only;\n"
                         f"{compute_dtype} on an A100/H100, fp16 on a T4 (no bf16), fp32 on a CPU",
          8, ha="left", color=NOTE)
    return fig


# --- the chat template and its loss mask ----------------------------------------------------------

def _short_row(task: str) -> dict:
    rows = [r for r in load_split("train") if r.get("task") == task]
    if not rows:
        raise ValueError(f"task={task!r}: no such rows in data/tasks/train.jsonl; choose one of "
                         f"{list(TASKS)}")
    return min(rows, key=lambda r: (sum(len(m["content"]) for m in r["messages"]), r["id"]))


def _token_rows(pieces: Sequence[str], width: float, char_w: float) -> list[list[int]]:
    """Token indices per drawn line: a new line after a newline token or when the line is full."""
    lines, line, used = [], [], 0.0
    for i, p in enumerate(pieces):
        w = char_w * max(len(p), 1) + 0.08
        if line and used + w > width:
            lines.append(line)
            line, used = [], 0.0
        line.append(i)
        used += w
        if p.endswith("\n"):
            lines.append(line)
            line, used = [], 0.0
    return lines + ([line] if line else [])


def chat_mask_diagram(row: dict | None = None, tokenizer=None, task: str = "triage",
                      start_token: str = "<|im_start|>") -> Figure:
    """Lesson 04. A real row rendered through the chat template, token by token: system and user
    tokens masked (label -100), the assistant's tokens and its end token trained.

    Defaults: the course tokenizer and the shortest `task` row of ``data/tasks/train.jsonl``.
    """
    tokenizer = load_chat_tokenizer() if tokenizer is None else tokenizer
    row = _short_row(task) if row is None else row
    enc = tokenize_with_mask(row, tokenizer)
    keep = transformers_args.decode_kwargs(keep_special_tokens=True)
    pieces = [tokenizer.decode([t], **keep) for t in enc["input_ids"]]
    trained = [lab != -100 for lab in enc["labels"]]
    roles = [m["role"] for m in row["messages"]]
    eos = tokenizer.eos_token
    lines = _token_rows(pieces, 10.2, CHAR_W)
    height = 1.4 + 0.42 * len(lines)
    fig, ax = _canvas(12, height)
    where = f" (row {row['id']})" if "id" in row else ""
    _text(ax, 6, height - 0.3, f"What the loss trains on: a {row.get('task', 'chat')} row{where}, "
                               "rendered with the chat template", 11, weight="bold")
    message = -1
    for n, line in enumerate(lines):
        y = height - 0.85 - n * 0.42
        if pieces[line[0]] == start_token:
            message += 1
        if pieces[line[0]] == start_token and message < len(roles):
            _text(ax, 1.15, y + 0.16, roles[message], 9, ha="right", style="italic")
        x = 1.3
        for i in line:
            w = CHAR_W * max(len(pieces[i]), 1) + 0.08
            end = pieces[i] == eos and trained[i]
            _box(ax, x, y, w - 0.03, 0.32, pieces[i].replace("\n", "↵"),
                 TRAINED if trained[i] else MASKED, 7, edge="#b00020" if end else "#999999",
                 family="DejaVu Sans Mono")
            x += w
    n_trained = sum(trained)
    _box(ax, 1.3, 0.35, 0.35, 0.25, colour=TRAINED)
    _text(ax, 1.75, 0.47, f"trained: label = token id ({n_trained} tokens; the red-edged one is "
                          f"the end token {eos}, so the model learns to stop)", 9, ha="left")
    _box(ax, 1.3, 0.05, 0.35, 0.25, colour=MASKED)
    _text(ax, 1.75, 0.17, f"masked: label = -100, skipped by the loss ({len(trained) - n_trained} "
                          "tokens: system, user, role markers)", 9, ha="left")
    return fig


# --- one base, many adapters ----------------------------------------------------------------------

def _default_requests(adapters: Sequence[str], per_adapter: int = 2) -> list[tuple[str, str]]:
    """`per_adapter` validation questions for each adapter named after a task, interleaved, with
    one plain question for the base in the middle (a mixed batch as a server receives it)."""
    rows = load_split("validation")
    asked = {a: [r["messages"][-2]["content"] for r in rows if r.get("task") == a][:per_adapter]
             for a in adapters}
    out = []
    for k in range(per_adapter):
        out += [(a, asked[a][k] if k < len(asked[a]) else SYSTEM_PROMPTS.get(a, a))
                for a in adapters]
        if k == 0:
            out.append((BASE_NAME, "What is the capital of France?"))
    return out


def multi_adapter_diagram(model: str = "qwen2.5-7b", adapters: Sequence[str] = TASKS,
                          requests: Sequence[tuple[str, str]] | None = None, r: int = 16,
                          compute_dtype: str = "bf16") -> Figure:
    """Lesson 07. Requests tagged with adapter names, routed through ONE 4-bit base in one mixed
    batch; memory of base + N adapters beside N merged models (from the lesson 02 estimator).

    `requests` are (adapter name or "base", text) pairs; by default questions of the validation
    split for adapters named after the course's tasks.
    """
    requests = list(_default_requests(adapters) if requests is None else requests)
    unknown = sorted({a for a, _ in requests} - set(adapters) - {BASE_NAME})
    if unknown:
        raise ValueError(f"requests name adapters {unknown} that are not in adapters="
                         f"{list(adapters)} (or {BASE_NAME!r} for no adapter)")
    cfg = resolve_config(model)
    base = estimate_inference_memory(cfg, "nf4", compute_dtype=compute_dtype).param_bytes
    per = lora_param_count(cfg, r) * 2
    colour = {a: ADAPTER_COLOURS[i % len(ADAPTER_COLOURS)] for i, a in enumerate(adapters)}
    colour[BASE_NAME] = FROZEN
    pitch, n = 0.42, len(requests)
    height = 1.5 + pitch * max(n, len(adapters) + 3)
    fig, ax = _canvas(12, height)
    top = height - 1.0
    _text(ax, 6, height - 0.3, f"One base, {len(adapters)} adapters, one mixed batch of {n} "
                               "requests", 12, weight="bold")
    _text(ax, 2.0, top + 0.35, "requests (the model field picks the adapter)", 8, color=NOTE)
    _box(ax, 4.6, top - (len(adapters) + 2) * pitch, 3.4, (len(adapters) + 2) * pitch + 0.25,
         colour="#f7f7f7")
    _text(ax, 6.3, top + 0.02, f"{cfg.name}: NF4 base", 9, weight="bold")
    _text(ax, 6.3, top - 0.25, f"loaded once, {base / GB:.1f} GB", 8)
    slot = {BASE_NAME: top}
    for j, a in enumerate(adapters):
        slot[a] = top - (j + 1.6) * pitch
        _box(ax, 4.8, slot[a] - 0.15, 3.0, 0.3, f"{a}: r = {r}, {per / 1e6:.0f} MB", colour[a], 7)
    _text(ax, 10.2, top + 0.35, "one generate call, a LoRA per row", 8, color=NOTE)
    for i, (name, text) in enumerate(requests):
        y = top - i * pitch
        short = text if len(text) <= 34 else text[:33] + "…"
        _box(ax, 0.2, y - 0.16, 3.6, 0.32, colour=colour[name])
        _text(ax, 0.3, y, f"model={name}: {short}", 7, ha="left")
        _arrow(ax, (3.8, y), (4.8 if name != BASE_NAME else 4.6, slot[name]))
        _box(ax, 8.7, y - 0.15, 3.0, 0.3, f"row {i + 1}: " + (name if name != BASE_NAME else
                                                              "no adapter (base)"), colour[name], 7)
    _arrow(ax, (8.0, top - pitch), (8.7, top - pitch))
    merged = len(adapters) * cfg.param_count() * 2
    _text(ax, 0.2, 0.45, "The frozen base matmul runs once for every row; each adapter's B·A runs "
                         "only for its own rows, so each row answers as its adapter alone would.",
          8, ha="left", color=NOTE)
    _text(ax, 0.2, 0.18, f"Memory: base + {len(adapters)} adapters = "
                         f"{(base + len(adapters) * per) / GB:.1f} GB;  {len(adapters)} merged "
                         f"16-bit models = {merged / GB:.1f} GB (lesson 02's estimator).", 8,
          ha="left", color=NOTE)
    return fig
