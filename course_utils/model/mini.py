"""Mini models of the 7B/8B presets: each preset's own class, scaled down, for a CPU rehearsal.

Lesson 05's GPU notes rely on it: the CPU runs of the course exercise one architecture (the tiny
model's LlamaForCausalLM), while the presets are Qwen2ForCausalLM (biases on q/k/v, its own
ChatML template with a default system prompt), MistralForCausalLM (an [INST] template with no
system role) and Llama 3.1 (rope scaling, header tokens). `build_mini_model(preset, folder)`
writes a folder `load_model(folder)` reads like the real one:

- config: the preset's published config (`data/model_configs/`, plus `PUBLISHED_EXTRAS`, the
  fields that file leaves out) with 2 layers and small widths; the same class, the same
  grouped-query ratio (query heads per key/value head), biases, tying and rope settings;
- weights: random (seeded), saved as safetensors;
- tokenizer: the tiny model's byte-level BPE with the preset's special tokens added;
- chat template: the preset's own (Qwen2.5 and Llama 3.1 as TRL ships them to recognise those
  models, Mistral v0.3's as published), so TRL and the course treat the mini tokenizer exactly
  as the real one (`course_utils.model.templates` marks the last two for TRL's assistant-only
  loss).

What this leaves out: the real vocabularies and tokenizers (sentencepiece for Mistral, tiktoken-
style BPE for Llama 3 / Qwen), pre-training (the weights are noise, answers are gibberish), tool
calls (the templates render them; nothing here exercises them), and sliding-window attention
settings beyond what the config says.
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

# Fields of the published config.json files that data/model_configs (dimensions only, for these
# two) leaves out and a faithful copy needs. Source: each model's config.json on the Hub (see
# `_source` there). Llama 3.1's file carries its own (rope scaling, bos/eos ids).
PUBLISHED_EXTRAS = {
    "qwen2.5-7b": {"bos_token_id": 151643, "eos_token_id": 151645, "use_sliding_window": False},
    "mistral-7b": {"bos_token_id": 1, "eos_token_id": 2},
    "llama-3.1-8b": {},
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

# Mistral-7B-Instruct-v0.3's template, as in its tokenizer_config.json on the Hub: "<s>[INST]
# user[/INST] reply</s>", no system role (a system message is kept only before the last user
# turn, so the course folds it into the first user turn: `format_messages`), tool calls.
MISTRAL_V03_TEMPLATE = (
    '{%- if messages[0]["role"] == "system" %}\n    {%- set system_message = messages[0]["content"] %}\n'
    '    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n'
    '{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n'
    '{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}\n\n'
    '{#- This block checks for alternating user/assistant messages, skipping tool calling messages #}\n'
    '{%- set ns = namespace() %}\n{%- set ns.index = 0 %}\n{%- for message in loop_messages %}\n'
    '    {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}\n'
    '        {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}\n'
    '            {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}\n'
    '        {%- endif %}\n        {%- set ns.index = ns.index + 1 %}\n    {%- endif %}\n{%- endfor %}\n\n'
    '{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if message["role"] == "user" %}\n'
    '        {%- if tools is not none and (message == user_messages[-1]) %}\n'
    '            {{- "[AVAILABLE_TOOLS] [" }}\n            {%- for tool in tools %}\n'
    '                {%- set tool = tool.function %}\n'
    '                {{- \'{"type": "function", "function": {\' }}\n'
    '                {%- for key, val in tool.items() if key != "return" %}\n'
    '                    {%- if val is string %}\n'
    '                        {{- \'"\' + key + \'": "\' + val + \'"\' }}\n'
    '                    {%- else %}\n'
    '                        {{- \'"\' + key + \'": \' + val|tojson }}\n'
    '                    {%- endif %}\n                    {%- if not loop.last %}\n'
    '                        {{- ", " }}\n                    {%- endif %}\n                {%- endfor %}\n'
    '                {{- "}}" }}\n                {%- if not loop.last %}\n                    {{- ", " }}\n'
    '                {%- else %}\n                    {{- "]" }}\n                {%- endif %}\n'
    '            {%- endfor %}\n            {{- "[/AVAILABLE_TOOLS]" }}\n            {%- endif %}\n'
    '        {%- if loop.last and system_message is defined %}\n'
    '            {{- "[INST] " + system_message + "\\n\\n" + message["content"] + "[/INST]" }}\n'
    '        {%- else %}\n            {{- "[INST] " + message["content"] + "[/INST]" }}\n'
    '        {%- endif %}\n    {%- elif message.tool_calls is defined and message.tool_calls is not none %}\n'
    '        {{- "[TOOL_CALLS] [" }}\n        {%- for tool_call in message.tool_calls %}\n'
    '            {%- set out = tool_call.function|tojson %}\n            {{- out[:-1] }}\n'
    '            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}\n'
    '                {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}\n'
    '            {%- endif %}\n            {{- \', "id": "\' + tool_call.id + \'"}\' }}\n'
    '            {%- if not loop.last %}\n                {{- ", " }}\n            {%- else %}\n'
    '                {{- "]" + eos_token }}\n            {%- endif %}\n        {%- endfor %}\n'
    '    {%- elif message["role"] == "assistant" %}\n        {{- " " + message["content"]|trim + eos_token}}\n'
    '    {%- elif message["role"] == "tool_results" or message["role"] == "tool" %}\n'
    '        {%- if message.content is defined and message.content.content is defined %}\n'
    '            {%- set content = message.content.content %}\n        {%- else %}\n'
    '            {%- set content = message.content %}\n        {%- endif %}\n'
    '        {{- \'[TOOL_RESULTS] {"content": \' + content|string + ", " }}\n'
    '        {%- if not message.tool_call_id is defined or message.tool_call_id|length != 9 %}\n'
    '            {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}\n'
    '        {%- endif %}\n        {{- \'"call_id": "\' + message.tool_call_id + \'"}[/TOOL_RESULTS]\' }}\n'
    '    {%- else %}\n'
    '        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}\n'
    '    {%- endif %}\n{%- endfor %}\n')


def config_file(preset: str) -> Path:
    """Lesson 05. The preset's published dimensions in data/model_configs/."""
    _check(preset)
    return MODEL_CONFIGS_DIR / (PRESETS[preset].repo_id.replace("/", "__") + ".json")


def published_config(preset: str) -> dict:
    """Lesson 05. The preset's published config.json fields (data/model_configs/ + `PUBLISHED_EXTRAS`)."""
    d = {k: v for k, v in json.loads(config_file(preset).read_text()).items() if not k.startswith("_")}
    return {**d, **PUBLISHED_EXTRAS[preset]}


def real_config(preset: str, **changes):
    """Lesson 05. The preset's full-size transformers config (its class, no weights); `changes`
    replace fields before the config is built (so derived fields such as layer types follow)."""
    from transformers import AutoConfig

    d = {**published_config(preset), **changes}
    return AutoConfig.for_model(d.pop("model_type"), **d)


def chat_template(preset: str) -> str:
    """Lesson 05. The preset's chat template (Qwen2.5 and Llama 3.1: TRL's copy of the real one;
    Mistral: v0.3's as published)."""
    _check(preset)
    if preset == "mistral-7b":
        return MISTRAL_V03_TEMPLATE
    from trl import chat_template_utils as ctu

    return ctu.qwen2_5_chat_template if preset == "qwen2.5-7b" else ctu.llama3_1_chat_template


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


def build_mini_model(preset: str, folder, seed: int = 0) -> Path:
    """Lesson 05. Write a mini model of `preset`'s class to `folder` (config, safetensors
    weights, tokenizer, chat template, generation config); returns the folder."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    folder = Path(folder)
    tokenizer = mini_tokenizer(preset)
    vocab = 64 * -(-len(tokenizer) // 64)        # padded to a multiple of 64, as real vocabularies are
    cfg = mini_config(preset, vocab)
    ids = {k: tokenizer.convert_tokens_to_ids(SPECIALS[preset][k]) if SPECIALS[preset][k] else None
           for k in ("bos", "eos", "pad")}
    eos = [tokenizer.convert_tokens_to_ids(t) for t in SPECIALS[preset]["generation_eos"]]
    cfg.bos_token_id, cfg.pad_token_id = ids["bos"], ids["pad"]
    cfg.eos_token_id = eos if isinstance(published_config(preset)["eos_token_id"], list) else ids["eos"]
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    model.generation_config = GenerationConfig(bos_token_id=ids["bos"], eos_token_id=eos,
                                               pad_token_id=ids["pad"])
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    (folder / "mini_model.json").write_text(json.dumps(
        {"preset": preset, "class": type(model).__name__, "from": str(config_file(preset).name),
         "seed": seed,
         "parameters": sum(p.numel() for p in model.parameters())}, indent=1) + "\n")
    return folder


def _check(preset: str) -> None:
    if preset not in MINI_PRESETS:
        raise ValueError(f"preset={preset!r}: mini models exist for {', '.join(MINI_PRESETS)}")
