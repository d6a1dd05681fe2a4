"""Mini models of the 7B/8B presets: each preset's own class, scaled down, for a CPU rehearsal.

Lesson 05's GPU notes rely on it: the CPU runs of the course exercise one architecture (the tiny
model's LlamaForCausalLM), while the presets are Qwen2ForCausalLM (biases on q/k/v, its own
ChatML template with a default system prompt), MistralForCausalLM (an [INST] template with no
system role) and Llama 3.1 (rope scaling, header tokens). `build_mini_model(preset, folder)`
writes a folder `load_model(folder)` reads like the real one:

- config: the preset's published config (`data/model_configs/`, plus `PUBLISHED_EXTRAS`, the
  fields that dimensions-only file leaves out) with 2 layers and small widths; the same class,
  the same grouped-query ratio (query heads per key/value head), biases, tying and rope settings;
- weights: random (seeded), saved as safetensors;
- tokenizer: the tiny model's byte-level BPE with the preset's special tokens added;
- chat template: the preset's own (Qwen2.5 and Llama 3.1 as TRL ships them to recognise those
  models, so TRL treats the mini tokenizer exactly as the real one), or, for Mistral, an
  [INST] template that refuses a system message.

`training_template(preset)` is the same template with `{% generation %}` markers around each
reply and its end token, rendering the same text: what TRL's `assistant_only_loss=True` needs
and does not supply for Mistral or Llama 3.1 (TRL 1.16 patches only templates it knows).

What this leaves out: the real vocabularies and tokenizers (sentencepiece for Mistral, tiktoken-
style BPE for Llama 3 / Qwen), pre-training (the weights are noise, answers are gibberish), tool
calling in the templates, and sliding-window attention settings beyond what the config says.
"""

from __future__ import annotations

import json
from pathlib import Path

from course_utils.model.presets import PRESETS
from course_utils.paths import TINY_MODEL_DIR
from course_utils.plan.memory.configs import MODEL_CONFIGS_DIR

MINI_PRESETS = ("qwen2.5-7b", "mistral-7b", "llama-3.1-8b")
MINI_LAYERS = 2
MINI_KV_HEADS = 2
MINI_HEAD_DIM = 16

# Fields of the published config.json files that data/model_configs (dimensions only) leaves out
# and a faithful copy needs. Source: each model's config.json on the Hub (see `_source` there).
PUBLISHED_EXTRAS = {
    "qwen2.5-7b": {"bos_token_id": 151643, "eos_token_id": 151645, "use_sliding_window": False},
    "mistral-7b": {"bos_token_id": 1, "eos_token_id": 2},
    "llama-3.1-8b": {"bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
                     "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 8192,
                                      "rope_type": "llama3"}},
}

# Special tokens, and which of them is bos / eos / pad, as in each preset's tokenizer_config.json.
SPECIALS = {
    "qwen2.5-7b": dict(tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"], bos=None,
                       eos="<|im_end|>", pad="<|endoftext|>",
                       generation_eos=["<|im_end|>", "<|endoftext|>"]),
    "mistral-7b": dict(tokens=["<unk>", "<s>", "</s>", "[INST]", "[/INST]"], bos="<s>", eos="</s>",
                       pad=None, generation_eos=["</s>"]),
    "llama-3.1-8b": dict(tokens=["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                 "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>"],
                         bos="<|begin_of_text|>", eos="<|eot_id|>", pad=None,
                         generation_eos=["<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"]),
}

# Mistral-7B-Instruct: "<s>[INST] user[/INST]reply</s>", roles strictly alternating, no system
# role (the course folds a system message into the first user turn: `format_messages`). The
# published v0.3 template puts a space before the reply (" " + content|trim), which lesson 04's
# character-span mask (`assistant_char_spans`) cannot place; this one leaves it out.
_MISTRAL = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'system' %}"
    "{{- raise_exception('This template has no system role: fold the system message into the first user turn') }}"
    "{%- endif %}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{%- endif %}"
    "{%- if message['role'] == 'user' %}{{- '[INST] ' + message['content'] + '[/INST]' }}"
    "{%- else %}@@REPLY@@{%- endif %}"
    "{%- endfor %}"
)
_MISTRAL_REPLY = "{{- message['content'] + eos_token }}"
_LLAMA_LINE = ("{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
               "message['content'] | trim + '<|eot_id|>' }}")
_LLAMA_TRAINING_LINE = (
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{%- generation %}{{- message['content'] | trim + '<|eot_id|>' }}{%- endgeneration %}"
    "{%- else %}" + _LLAMA_LINE + "{%- endif %}")


def config_file(preset: str) -> Path:
    """Lesson 05. The preset's published dimensions in data/model_configs/."""
    _check(preset)
    return MODEL_CONFIGS_DIR / (PRESETS[preset].repo_id.replace("/", "__") + ".json")


def real_config(preset: str, **changes):
    """Lesson 05. The preset's full-size transformers config (its class, no weights); `changes`
    replace fields before the config is built (so derived fields such as layer types follow)."""
    from transformers import AutoConfig

    d = {k: v for k, v in json.loads(config_file(preset).read_text()).items() if not k.startswith("_")}
    d.update(PUBLISHED_EXTRAS[preset])
    d.update(changes)
    return AutoConfig.for_model(d.pop("model_type"), **d)


def chat_template(preset: str) -> str:
    """Lesson 05. The preset's chat template (Qwen2.5 and Llama 3.1: TRL's copy of the real one)."""
    _check(preset)
    if preset == "mistral-7b":
        return _MISTRAL.replace("@@REPLY@@", _MISTRAL_REPLY)
    from trl import chat_template_utils as ctu

    return ctu.qwen2_5_chat_template if preset == "qwen2.5-7b" else ctu.llama3_1_chat_template


def training_template(preset: str) -> str:
    """Lesson 05. `chat_template(preset)` with `{% generation %}` around each reply and its end
    token: the same text, plus the marks TRL's assistant-only loss reads."""
    _check(preset)
    if preset == "mistral-7b":
        return _MISTRAL.replace("@@REPLY@@", "{%- generation %}" + _MISTRAL_REPLY + "{%- endgeneration %}")
    if preset == "qwen2.5-7b":
        from trl import chat_template_utils as ctu

        return ctu.qwen2_5_training_chat_template
    template = chat_template(preset)
    if _LLAMA_LINE not in template:
        raise RuntimeError("TRL's Llama 3.1 template changed: update _LLAMA_LINE in course_utils/model/mini.py")
    return template.replace(_LLAMA_LINE, _LLAMA_TRAINING_LINE)


def mini_config(preset: str, vocab_size: int):
    """Lesson 05. The preset's config scaled down: 2 layers, 16-wide heads, the same class,
    grouped-query ratio, biases, tying and rope settings."""
    d = json.loads(config_file(preset).read_text())
    heads = d["num_attention_heads"] // d["num_key_value_heads"] * MINI_KV_HEADS
    hidden = heads * MINI_HEAD_DIM
    return real_config(preset, num_hidden_layers=MINI_LAYERS, num_attention_heads=heads,
                       num_key_value_heads=MINI_KV_HEADS, head_dim=MINI_HEAD_DIM, hidden_size=hidden,
                       intermediate_size=16 * round(hidden * d["intermediate_size"] / d["hidden_size"] / 16),
                       vocab_size=vocab_size, dtype="float32", bos_token_id=None,
                       eos_token_id=None, pad_token_id=None)  # set from the mini tokenizer


def mini_tokenizer(preset: str):
    """Lesson 05. The tiny model's BPE tokenizer with the preset's special tokens and template."""
    from tokenizers import AddedToken, Tokenizer
    from transformers import PreTrainedTokenizerFast

    spec = SPECIALS[preset]
    tok = Tokenizer.from_file(str(TINY_MODEL_DIR / "tokenizer.json"))
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in spec["tokens"]])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=spec["bos"], eos_token=spec["eos"],
                                   pad_token=spec["pad"], unk_token="<unk>" if preset == "mistral-7b" else None,
                                   model_max_length=4096, padding_side="left")
    fast.chat_template = chat_template(preset)
    return fast


def build_mini_model(preset: str, folder, seed: int = 0, training: bool = False) -> Path:
    """Lesson 05. Write a mini model of `preset`'s class to `folder` (config, safetensors
    weights, tokenizer, chat template, generation config); returns the folder. training=True
    saves `training_template(preset)` as its chat template instead of the preset's own."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    folder = Path(folder)
    tokenizer = mini_tokenizer(preset)
    if training:
        tokenizer.chat_template = training_template(preset)
    vocab = 64 * -(-len(tokenizer) // 64)        # padded to a multiple of 64, as real vocabularies are
    cfg = mini_config(preset, vocab)
    ids = {k: tokenizer.convert_tokens_to_ids(SPECIALS[preset][k]) if SPECIALS[preset][k] else None
           for k in ("bos", "eos", "pad")}
    eos = [tokenizer.convert_tokens_to_ids(t) for t in SPECIALS[preset]["generation_eos"]]
    cfg.bos_token_id, cfg.pad_token_id = ids["bos"], ids["pad"]
    cfg.eos_token_id = eos if isinstance(PUBLISHED_EXTRAS[preset]["eos_token_id"], list) else ids["eos"]
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    model.generation_config = GenerationConfig(bos_token_id=ids["bos"], eos_token_id=eos,
                                               pad_token_id=ids["pad"])
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    (folder / "mini_model.json").write_text(json.dumps(
        {"preset": preset, "class": type(model).__name__, "from": str(config_file(preset).name),
         "seed": seed, "template": "training" if training else "preset",
         "parameters": sum(p.numel() for p in model.parameters())}, indent=1) + "\n")
    return folder


def _check(preset: str) -> None:
    if preset not in MINI_PRESETS:
        raise ValueError(f"preset={preset!r}: mini models exist for {', '.join(MINI_PRESETS)}")
