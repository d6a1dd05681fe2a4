"""Every keyword the course passes to transformers, and the builders its call sites unpack.

    MODEL_FROM_PRETRAINED / model_kwargs           AutoModelForCausalLM.from_pretrained (the loader)
    TOKENIZER_FROM_PRETRAINED / tokenizer_kwargs   AutoTokenizer.from_pretrained (the loader)
    GENERATE / greedy_kwargs                       model.generate (lessons 00 and 06)
    CHAT_TEMPLATE / chat_prompt_kwargs             tokenizer.apply_chat_template
    ENCODE / encode_kwargs                         tokenizer(...) on prompt texts
    DECODE / decode_kwargs                         tokenizer.decode of generated tokens
    TRAIN / train_kwargs                           Trainer.train (lesson 05)
    ROTATE / rotate_kwargs                         trainer_utils.rotate_checkpoints (lesson 05)

The NF4 recipe (transformers' BitsAndBytesConfig) is bitsandbytes' settings, so it lives in
`course_utils.model.stack.bitsandbytes_args`.

What this leaves out: the embedded tiny model's build script (`course_utils.model.tiny.build`)
and the serving layer's calls, which pass their own keywords.
"""

from __future__ import annotations

from course_utils.model.stack.call import LibraryCall

MODEL_FROM_PRETRAINED = LibraryCall(
    "transformers.AutoModelForCausalLM.from_pretrained",
    ("trust_remote_code", "use_safetensors", "device_map", "quantization_config", "dtype"),
    where="course_utils.model.load.load_model",
    forwards_to=("transformers.PreTrainedModel.from_pretrained",))
TOKENIZER_FROM_PRETRAINED = LibraryCall(
    "transformers.AutoTokenizer.from_pretrained", ("trust_remote_code",),
    where="course_utils.model.load.load_model")
GENERATE = LibraryCall(
    "transformers.GenerationMixin.generate",
    ("max_new_tokens", "do_sample", "eos_token_id", "pad_token_id"),
    where="course_utils.model.load.chat, course_utils.evaluate.systems.generate",
    attributes_of=("transformers.GenerationConfig",))
CHAT_TEMPLATE = LibraryCall(
    "transformers.PreTrainedTokenizerBase.apply_chat_template",
    ("add_generation_prompt", "tokenize", "return_tensors", "return_dict"),
    where="course_utils.model.load.chat, course_utils.evaluate.systems.generate / _fit")
ENCODE = LibraryCall(
    "transformers.PreTrainedTokenizerBase.__call__", ("add_special_tokens", "return_tensors", "padding"),
    where="course_utils.evaluate.systems.generate")
DECODE = LibraryCall(
    "transformers.PreTrainedTokenizerBase.decode", ("skip_special_tokens",),
    where="course_utils.model.load.chat, course_utils.evaluate.systems.generate")
TRAIN = LibraryCall(
    "transformers.Trainer.train", ("resume_from_checkpoint",),
    where="course_utils.training.run._fit")
ROTATE = LibraryCall(
    "transformers.trainer_utils.rotate_checkpoints",
    ("output_dir", "save_total_limit", "best_model_checkpoint", "use_mtime"),
    where="course_utils.training.trainer.CourseSFTTrainer._save_checkpoint")

CALLS = (MODEL_FROM_PRETRAINED, TOKENIZER_FROM_PRETRAINED, GENERATE, CHAT_TEMPLATE, ENCODE, DECODE,
         TRAIN, ROTATE)

CHAT_OUTPUTS = ("text", "ids", "tensors")


def model_kwargs(device_map, *, quantization_config=None, dtype=None) -> dict:
    """Lesson 00. `from_pretrained` keywords of the loader: 4-bit with `quantization_config`,
    else the weights in `dtype`."""
    kwargs = dict(
        trust_remote_code=False,   # never run code shipped with a checkpoint
        use_safetensors=True,      # never unpickle weights
        device_map=device_map,
    )
    if quantization_config is not None:
        kwargs["quantization_config"] = quantization_config
    else:
        kwargs["dtype"] = dtype
    return MODEL_FROM_PRETRAINED.kwargs(kwargs)


def tokenizer_kwargs() -> dict:
    """Lesson 00. `AutoTokenizer.from_pretrained` keywords: never run code shipped with a checkpoint."""
    return TOKENIZER_FROM_PRETRAINED.kwargs(dict(trust_remote_code=False))


def greedy_kwargs(max_new_tokens: int, pad_token_id, eos_token_id=None) -> dict:
    """Lesson 00. `generate` keywords of a greedy answer of at most `max_new_tokens` tokens
    (`eos_token_id`: a list of end tokens, when the model's own is not enough)."""
    kwargs = dict(max_new_tokens=max_new_tokens, do_sample=False)
    if eos_token_id is not None:
        kwargs["eos_token_id"] = eos_token_id
    kwargs["pad_token_id"] = pad_token_id
    return GENERATE.kwargs(kwargs)


def chat_prompt_kwargs(output: str) -> dict:
    """Lesson 00. `apply_chat_template` keywords for a prompt that ends where the assistant's turn
    starts: output "text" (a string), "ids" (a dict of token id lists) or "tensors" (a dict of
    PyTorch tensors)."""
    if output not in CHAT_OUTPUTS:
        raise ValueError(f"output={output!r}: choose one of {', '.join(CHAT_OUTPUTS)}")
    kwargs = {"text": dict(tokenize=False),
              "ids": dict(tokenize=True, return_dict=True),
              "tensors": dict(return_tensors="pt", return_dict=True)}[output]
    return CHAT_TEMPLATE.kwargs(dict(add_generation_prompt=True, **kwargs))


def encode_kwargs(padded_batch: bool = False) -> dict:
    """Lesson 06. Tokenizer keywords for texts that already hold their special tokens (rendered
    chat templates); `padded_batch`: one padded tensor batch."""
    kwargs = dict(return_tensors="pt", padding=True) if padded_batch else {}
    return ENCODE.kwargs(dict(kwargs, add_special_tokens=False))


def decode_kwargs() -> dict:
    """Lesson 00. `tokenizer.decode` keywords for a reply: the text without end or padding tokens."""
    return DECODE.kwargs(dict(skip_special_tokens=True))


def train_kwargs(resume_from) -> dict:
    """Lesson 05. `Trainer.train` keywords: the checkpoint folder to resume from, or None."""
    return TRAIN.kwargs(dict(resume_from_checkpoint=str(resume_from) if resume_from else None))


def rotate_kwargs(output_dir, save_total_limit, best_model_checkpoint) -> dict:
    """Lesson 05. `rotate_checkpoints` keywords: keep the newest `save_total_limit` checkpoints
    (by modification time: a renamed-in checkpoint is the newest) and the best one."""
    return ROTATE.kwargs(dict(output_dir=str(output_dir), save_total_limit=save_total_limit,
                              best_model_checkpoint=best_model_checkpoint, use_mtime=True))
