"""Lesson 07: merging an adapter into its base, and exporting the merged model.

Some servers cannot load adapters, so the adapter is merged: W' = W + (alpha/r)·B·A, then a
plain model is served.

    merge_roundtrip     the adapter model against its merge, on the same prompts: into an
                        unquantized base the merge is exact up to float rounding
    nf4_merge_rounding  merge ONE 4-bit layer and see how much of the update survives NF4's
                        grid (PEFT dequantizes, adds the update and quantizes again)
    export_merged       merge into the unquantized base and save a standalone model folder
    check_export        does the export keep the base's chat template and EOS, and does a plain
                        `generate` stop on its own?

What this leaves out: quantizing the merged model afterwards (GPTQ, AWQ, GGUF), merging several
adapters into one model, and serving the export (`course_utils.serve.vllm` writes the command).
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from peft import PeftModel
from peft.tuners.lora import LoraLayer
from peft.utils.integrations import dequantize_bnb_weight
from transformers import AutoTokenizer, GenerationConfig

from course_utils.dataset.load import load_split
from course_utils.model.load import format_messages, load_model, resolve
from course_utils.model.stack import transformers_args
from course_utils.model.templates import messages_preset
from course_utils.serve.adapters import adapter_dir


@dataclass
class MergeCheck:
    """Lesson 07. Adapter model vs the same adapter merged into its base, on the same prompts."""

    quantization: str
    max_logit_diff: float      # largest |logit difference| over every position of every prompt
    logit_scale: float         # largest |logit| seen, to read the difference against
    same_greedy: bool          # greedy answers identical token for token
    prompts: int

    def __str__(self) -> str:
        return (f"merge into a {self.quantization} base: max |logit diff| {self.max_logit_diff:.2e} "
                f"(logits up to {self.logit_scale:.1f}); greedy answers "
                f"{'identical' if self.same_greedy else 'DIFFER'} on {self.prompts} prompts")


def _prompt_ids(tokenizer, prompt, preset: str | None) -> torch.Tensor:
    return tokenizer.apply_chat_template(format_messages(prompt, preset),
                                         **transformers_args.chat_prompt_kwargs("tensors"))["input_ids"]


def _greedy(model, ids, n: int = 16) -> list[int]:
    out = model.generate(**transformers_args.prompt_kwargs(ids, ids.new_ones(ids.shape)),
                         **transformers_args.decoding_kwargs(n))
    return out[0, ids.shape[1]:].tolist()


def _peft_on(base, adapter_path, quantization):
    """The base loaded with `quantization` and the adapter on it, ready to merge."""
    model, tokenizer = load_model(base, quantization=quantization)
    return PeftModel.from_pretrained(model, str(adapter_dir(adapter_path))).eval(), tokenizer


def _nf4_codes(weight) -> torch.Tensor:
    """The 4-bit codes of a packed NF4 weight: two per stored byte."""
    b = weight.data.view(torch.uint8).flatten()
    return torch.stack([b >> 4, b & 15], 1).flatten()


def merge_roundtrip(base, adapter_path, prompts: Sequence, quantization: str = "none") -> MergeCheck:
    """Lesson 07. Logits and greedy answers of the adapter model, then of `merge_and_unload()`.

    Unquantized, a merge is W + (alpha/r)·B·A computed once: equal up to float rounding (~1e-6).
    Into a 4-bit base, PEFT dequantizes, adds the update and quantizes again (see
    `nf4_merge_rounding`): the merged model is a different model."""
    model, tok = _peft_on(base, adapter_path, quantization)
    preset = messages_preset(base, getattr(model, "config", None))  # Mistral: system folded
    ids = [_prompt_ids(tok, p, preset) for p in prompts]
    with torch.no_grad():
        before = [model(input_ids=i).logits for i in ids]
        greedy_before = [_greedy(model, i) for i in ids]
        with warnings.catch_warnings():  # PEFT warns that 4-bit merges round: the lesson shows how much
            warnings.simplefilter("ignore")
            merged = model.merge_and_unload()
        after = [merged(input_ids=i).logits for i in ids]
        greedy_after = [_greedy(merged, i) for i in ids]
    diff = max(float((a - b).abs().max()) for a, b in zip(before, after))
    scale = max(float(a.abs().max()) for a in before)
    return MergeCheck(quantization, diff, scale, greedy_before == greedy_after, len(ids))


def nf4_merge_rounding(base, adapter_path) -> dict:
    """Lesson 07. Merge ONE 4-bit layer and look at what became of its LoRA update ΔW.

    Returns the layer; the median |ΔW| beside the median |W|; `codes_unchanged`, the share of
    4-bit codes that are the same after the merge (the update only rescaled their blocks);
    `update_kept`, how much of ΔW the stored change W'−W carries, <W'−W, ΔW>/|ΔW|² (1 for an
    exact merge); and `update_rel_error`, |(W'−W) − ΔW| / |ΔW| (0 for an exact merge)."""
    model, _ = _peft_on(base, adapter_path, "nf4")
    name, layer = next((n, m) for n, m in model.named_modules() if isinstance(m, LoraLayer))
    adapter = layer.active_adapters[0]
    weight = layer.get_base_layer().weight
    with torch.no_grad():
        w0, c0 = dequantize_bnb_weight(weight, state=weight.quant_state).float(), _nf4_codes(weight)
        delta = layer.get_delta_weight(adapter).float()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer.merge(adapter_names=[adapter])
        merged = layer.get_base_layer().weight
        w1, c1 = dequantize_bnb_weight(merged, state=merged.quant_state).float(), _nf4_codes(merged)
    moved = w1 - w0
    return dict(layer=name.replace("base_model.model.", ""),
                median_abs_delta=float(delta.abs().median()), median_abs_weight=float(w0.abs().median()),
                codes_unchanged=float((c0 == c1).float().mean()),
                update_kept=float((moved * delta).sum() / (delta * delta).sum()),
                update_rel_error=float((moved - delta).norm() / delta.norm()))


def export_merged(base, adapter_path, out_dir, save_tokenizer: bool = True,
                  overwrite: bool = False) -> Path:
    """Lesson 07. Merge the adapter into the unquantized base and save a standalone model folder:
    weights, config, generation_config.json (with the EOS ids) and, unless told not to, the
    tokenizer with its chat template. save_tokenizer=False shows what goes missing without it.
    overwrite=True replaces an earlier export in `out_dir` (a folder holding config.json)."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        if not (overwrite and (out / "config.json").is_file()):
            raise FileExistsError(f"{out} is not empty: pass overwrite=True to replace an earlier "
                                  f"export, or choose a new folder")
        shutil.rmtree(out)   # stale files (an old tokenizer) would hide what this export lacks
    model, tok = _peft_on(base, adapter_path, "none")
    merged = model.merge_and_unload()
    merged.save_pretrained(out)
    if save_tokenizer:
        tok.save_pretrained(out)
    return out


@dataclass
class ExportCheck:
    """Lesson 07. What `check_export` found: problems (empty: fine), and the test generation."""

    folder: Path
    problems: list[str]
    stops: bool = False
    new_tokens: int = 0
    text: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"{'✓' if self.ok else '✗'} {self.folder.name}: "
        head += (f"chat template and EOS kept; stopped after {self.new_tokens} tokens" if self.ok
                 else f"{len(self.problems)} problem(s)")
        return "\n".join([head, *(f"    ✗ {p}" for p in self.problems)])


def check_export(folder, reference="tiny", prompt=None, max_new_tokens: int = 64) -> ExportCheck:
    """Lesson 07. Does the exported model keep the base's chat template and EOS, and does plain
    `generate` (no eos_token_id passed: what a server does) stop on its own?"""
    folder = Path(folder)
    res = ExportCheck(folder, [])
    try:
        tok = AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError, TypeError):
        res.problems.append("no tokenizer in the folder: the chat template and EOS token are lost; "
                            "call tokenizer.save_pretrained(folder) next to the model")
        return res
    ref = AutoTokenizer.from_pretrained(resolve(reference).location)
    if not tok.chat_template:
        res.problems.append("no chat template: apply_chat_template fails and servers fall back to "
                            "raw text; copy chat_template.jinja from the base (tokenizer.save_pretrained)")
    elif tok.chat_template != ref.chat_template:
        res.problems.append("the chat template differs from the base's: prompts are not formatted "
                            "as in training")
    if tok.eos_token != ref.eos_token:
        res.problems.append(f"EOS token {tok.eos_token!r} differs from the base's {ref.eos_token!r}")
    try:
        gen_eos = GenerationConfig.from_pretrained(folder).eos_token_id
    except OSError:
        gen_eos = None
    gen_eos = gen_eos if isinstance(gen_eos, list) else [gen_eos]
    if ref.eos_token_id not in gen_eos:
        res.problems.append(f"generation_config.json's eos_token_id {gen_eos} lacks {ref.eos_token!r} "
                            f"(id {ref.eos_token_id}): generate() will not stop at the end of a turn; "
                            f"set model.generation_config.eos_token_id before saving")
    if prompt is None:
        prompt = load_split("validation")[0]["messages"][:-1]
    model, _ = load_model(folder, quantization="none")
    ids = _prompt_ids(tok if tok.chat_template else ref, prompt,
                      messages_preset(folder, getattr(model, "config", None)))
    with torch.no_grad():
        out = model.generate(**transformers_args.prompt_kwargs(ids, ids.new_ones(ids.shape)),
                             **transformers_args.greedy_kwargs(max_new_tokens))
    new = out[0, ids.shape[1]:].tolist()
    res.stops = len(new) < max_new_tokens or (bool(new) and new[-1] in gen_eos)  # ended on an EOS
    res.new_tokens, res.text = len(new), tok.decode(new, **transformers_args.decode_kwargs())
    if not res.stops:
        res.problems.append(f"generation did not stop within {max_new_tokens} tokens")
    return res
