"""Build the course's embedded tiny model: tokenizer, architecture, pre-training, model card.

Lesson 00 loads the result (`data/tiny_model/`); every later lesson fine-tunes it on a CPU.
Rebuild it with:

    python -m course_utils.model.tiny.build --out data/tiny_model

What it is: a Llama-architecture causal LM (4 layers, hidden 256, grouped-query attention with
2 key/value heads, ~4.0 M parameters) with its own byte-level BPE tokenizer and a ChatML-style
chat template, pre-trained for a few minutes on `course_utils.model.tiny.corpus` (plain sentences, short
chats and generic JSON). It answers simple questions in turn and stops; it has never seen the
course's task formats, so the fine-tuning lessons can show what training adds.

What this leaves out: no dropout, no learning-rate search, no evaluation beyond a held-out loss
and a few sample answers. It is a teaching prop, not a useful model.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import time
from datetime import date
from pathlib import Path

from course_utils.model.stack import transformers_args
from course_utils.model.tiny import corpus as tiny_corpus
from course_utils.paths import TINY_MODEL_DIR

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# ChatML-style template. `{% generation %}` marks the assistant's tokens so that
# `apply_chat_template(..., return_assistant_tokens_mask=True)` (and TRL's
# `assistant_only_loss=True`) can train on the answers only.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}"
    "{%- else %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)

# Architecture. Sizes are chosen so a 4-bit copy and a LoRA step run in well under a second
# on a 2-core CPU, while keeping the features a 7B model has: RMSNorm, RoPE, SwiGLU MLP,
# grouped-query attention (4 query heads share 2 key/value heads), untied embeddings.
ARCH = dict(
    vocab_size=2048,           # a ceiling: the corpus yields fewer merges; see build()
    hidden_size=256,
    intermediate_size=688,     # ~8/3 × hidden, rounded to a multiple of 16, as Llama does
    num_hidden_layers=4,
    num_attention_heads=4,     # head_dim 64
    num_key_value_heads=2,     # grouped-query attention, as in Llama-3 / Qwen2.5 / Mistral
    max_position_embeddings=1024,  # pre-trained on 768-token blocks: room for 3-shot prompts
    rms_norm_eps=1e-5,
    rope_theta=10000.0,
    tie_word_embeddings=False,
)


def render_chat(messages: list[dict]) -> str:
    """The chat template applied in plain Python (used to build the corpus without jinja)."""
    out = []
    for m in messages:
        out.append(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n")
    return "".join(out)


def build_tokenizer(texts: list[str], vocab_size: int):
    """Train a byte-level BPE tokenizer (the GPT-2 / Llama-3 / Qwen family of tokenizers)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte: no unknown tokens
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_max_length=ARCH["max_position_embeddings"],
        padding_side="left",      # decoder-only batches generate from the right edge
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def _corpus(n_docs: int, seed: int) -> list[str]:
    docs = []
    for kind, doc in tiny_corpus.documents(n_docs, seed=seed):
        docs.append(render_chat(doc) if kind == "chat" else doc)
    return docs


def _pack(token_lists: list[list[int]], seq_len: int, sep: int):
    """Concatenate documents (separated by <|endoftext|>) and cut into equal blocks."""
    import torch

    flat: list[int] = []
    for ids in token_lists:
        flat.extend(ids)
        flat.append(sep)
    n = len(flat) // seq_len
    return torch.tensor(flat[: n * seq_len], dtype=torch.long).view(n, seq_len)


def _pretrain(model, blocks, *, steps: int, batch_size: int, lr: float, seed: int,
              label_smoothing: float) -> list[float]:
    """AdamW with linear warm-up and cosine decay to 10% on random blocks; returns the plain
    cross-entropy of every step (comparable with the held-out loss)."""
    import torch
    from tqdm.auto import tqdm

    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    warmup = max(1, steps // 20)

    def lr_at(step: int) -> float:  # linear warm-up, cosine decay to 10%
        if step < warmup:
            return lr * (step + 1) / warmup
        frac = (step - warmup) / max(1, steps - warmup)
        return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))

    g = torch.Generator().manual_seed(seed)
    model.train()
    losses = []
    for step in tqdm(range(steps), desc="pre-training tiny model"):
        idx = torch.randint(0, blocks.shape[0], (batch_size,), generator=g)
        batch = blocks[idx]
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        logits = model(input_ids=batch).logits[:, :-1]
        logits = logits.reshape(-1, logits.shape[-1]).float()
        targets = batch[:, 1:].reshape(-1)
        loss = torch.nn.functional.cross_entropy(logits, targets, label_smoothing=label_smoothing)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():  # the plain cross-entropy, comparable with the held-out loss
            losses.append(torch.nn.functional.cross_entropy(logits.detach(), targets).item())
    return losses


def _held_out_loss(model, blocks, max_blocks: int = 64) -> float:
    """Mean cross-entropy of the model on up to `max_blocks` held-out blocks."""
    import torch

    model.eval()
    with torch.no_grad():
        return float(sum(model(input_ids=b[None], labels=b[None]).loss.item()
                         for b in blocks[:max_blocks]) / min(max_blocks, len(blocks)))


def _sample_answers(model, tokenizer) -> list[tuple[str, str]]:
    """(question, greedy answer) for the model card's demo questions."""
    import torch

    samples = []
    for q in tiny_corpus.demo_questions():
        prompt = tokenizer.apply_chat_template([{"role": "user", "content": q}],
                                               **transformers_args.chat_prompt_kwargs("text"))
        enc = tokenizer(prompt, **transformers_args.encode_kwargs(tensors=True))
        with torch.no_grad():
            out = model.generate(**enc, **transformers_args.length_kwargs(32))
        answer = tokenizer.decode(out[0, enc["input_ids"].shape[1]:], **transformers_args.decode_kwargs())
        samples.append((q, answer.strip()))
    return samples


def build(out_dir: Path = TINY_MODEL_DIR, *, n_docs: int = 60_000, steps: int = 600,
          batch_size: int = 6, seq_len: int = 768, lr: float = 3e-3, seed: int = 0,
          threads: int = 2, label_smoothing: float = 0.1) -> dict:
    """Lesson 00. Build tokenizer and model, pre-train, and save everything to `out_dir` with a
    model card; returns what the card reports (also written to build_info.json).

    `label_smoothing` keeps a little probability on every token: a model this small, trained on
    a narrow corpus, otherwise becomes so sure of itself that a new word costs 15-20 nats, and a
    short LoRA run on a new task starts from a loss no real pre-trained model would show.
    The reported losses (first, final, held-out) are plain cross-entropy."""
    # Over 60 lines because the `info` record below lists every figure of the model card, one
    # per line; the steps themselves are the helpers above.
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    t_start = time.time()
    torch.manual_seed(seed)
    random.seed(seed)
    torch.set_num_threads(threads)

    docs = _corpus(n_docs, seed)
    n_val = max(1, len(docs) // 50)
    tokenizer = build_tokenizer(docs, ARCH["vocab_size"])
    # The embedding table is padded to a multiple of 64 rows, as large models do for speed.
    vocab_size = -(-len(tokenizer) // 64) * 64
    eot = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    ids = tokenizer(docs, **transformers_args.encode_kwargs())["input_ids"]

    config = LlamaConfig(**transformers_args.llama_config_kwargs(
        {**ARCH, "vocab_size": vocab_size}, bos_token_id=None, eos_token_id=im_end, pad_token_id=eot))
    model = LlamaForCausalLM(config)
    t_train = time.time()
    losses = _pretrain(model, _pack(ids[n_val:], seq_len, eot), steps=steps, batch_size=batch_size,
                       lr=lr, seed=seed, label_smoothing=label_smoothing)
    train_seconds = time.time() - t_train
    val_loss = _held_out_loss(model, _pack(ids[:n_val], seq_len, eot))

    model.generation_config = GenerationConfig(
        **transformers_args.generation_config_kwargs([im_end, eot], pad_token_id=eot, max_new_tokens=48))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)  # safetensors
    tokenizer.save_pretrained(out_dir)

    info = {
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": vocab_size,
        "tokenizer_size": len(tokenizer),
        "documents": n_docs,
        "train_tokens_seen": steps * batch_size * seq_len,
        "steps": steps,
        "batch_size": batch_size,
        "seq_len": seq_len,
        "learning_rate": lr,
        "seed": seed,
        "threads": threads,
        "label_smoothing": label_smoothing,
        "first_loss": round(losses[0], 3),
        "final_train_loss": round(sum(losses[-50:]) / len(losses[-50:]), 3),
        "validation_loss": round(val_loss, 3),
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.time() - t_start, 1),
        "size_bytes": sum(f.stat().st_size for f in out_dir.iterdir() if f.is_file()),
        "built_on": f"{platform.machine()} CPU, torch {torch.__version__}",
        "date": date.today().isoformat(),
        "samples": _sample_answers(model, tokenizer),
    }
    (out_dir / "build_info.json").write_text(json.dumps(info, indent=2) + "\n")
    (out_dir / "README.md").write_text(model_card(info))
    return info


def model_card(info: dict) -> str:
    """The model card written beside the weights."""
    rows = "\n".join(f"| {q} | {a} |" for q, a in info["samples"])
    mb = info["size_bytes"] / 1e6
    return f"""# course-tiny: the embedded model of the fine-tuning course

**What it is.** A {info['parameters'] / 1e6:.1f} M-parameter Llama-architecture causal language
model (4 decoder layers, hidden size 256, 4 attention heads sharing 2 key/value heads, SwiGLU
MLP of 688, RoPE, untied embeddings, context {ARCH['max_position_embeddings']}, pre-trained on {info['seq_len']}-token blocks) with its own byte-level BPE tokenizer
({info['tokenizer_size']} tokens, embedding table padded to {info['vocab_size']}) and a ChatML-style chat template (`<|im_start|>role ... <|im_end|>`,
assistant turns marked with `{{% generation %}}` for assistant-only loss).

**Why it exists.** Every notebook of the course runs on a laptop CPU with no network. This
model stands in for the 7B model of the GPU profiles: the same loader (`from_pretrained`, 4-bit
NF4 through bitsandbytes), the same LoRA and TRL code, in seconds instead of hours.

**How it was made.** `course_utils.model.tiny.corpus` generates {info['documents']:,} documents from a
fixed seed ({info['seed']}): plain sentences about a small made-up world (animals, colours,
capitals, numbers, days), everyday sentences (shopping, travel, home), short chats that answer such
questions, and generic structured text (JSON records, `key: value` lines, codes and figures, chats
answered with a JSON object). The tokenizer was trained
on them, then the model was pre-trained from random weights with AdamW (lr {info['learning_rate']},
warm-up then cosine decay) for {info['steps']} steps of {info['batch_size']} × {info['seq_len']}
tokens ({info['train_tokens_seen'] / 1e6:.1f} M tokens seen), with label smoothing
{info.get('label_smoothing', 0)} so that it keeps some probability on words it rarely saw. It knows what JSON looks like but has
**not** seen the course's task formats (the support-ticket schema and its labels, moderation
labels, order ids, the policy facts): the fine-tuning lessons show what training adds.

| figure | value |
|---|---|
| parameters | {info['parameters']:,} |
| files on disk | {mb:.1f} MB (fp32 safetensors + tokenizer) |
| loss: first step → last 50 steps | {info['first_loss']} → {info['final_train_loss']} |
| held-out loss (2% of documents) | {info['validation_loss']} |
| training time | {info['train_seconds'] / 60:.1f} min on {info['built_on']}, {info['threads']} torch thread(s) |
| built | {info['date']} |

**Rebuild.** `python -m course_utils.model.tiny.build --out data/tiny_model` (about
{info['total_seconds'] / 60:.0f} minutes on 2 CPU cores). The corpus, tokenizer and initial weights are
deterministic; the trained weights may differ in the last bits between CPUs and thread counts.

**Sample answers** (greedy decoding, written by the build):

| question | answer |
|---|---|
{rows}

**Limits.** It knows only its tiny world, makes arithmetic mistakes, and repeats itself on
anything else. Do not use it for anything but learning the mechanics of fine-tuning.
"""


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=TINY_MODEL_DIR, help="output folder")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--docs", type=int, default=60_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    a = p.parse_args(argv)
    info = build(a.out, n_docs=a.docs, steps=a.steps, seed=a.seed, threads=a.threads,
                 label_smoothing=a.label_smoothing)
    print(json.dumps({k: v for k, v in info.items() if k != "samples"}, indent=2))
    for q, ans in info["samples"]:
        print(f"Q: {q}\nA: {ans}")


if __name__ == "__main__":
    main()
