"""Every keyword the course passes to transformers, and the builders its call sites unpack.

    MODEL_FROM_PRETRAINED / model_kwargs           AutoModelForCausalLM.from_pretrained (the loader)
    TOKENIZER_FROM_PRETRAINED / tokenizer_kwargs   AutoTokenizer.from_pretrained (the loader)
    GENERATE / greedy_kwargs, decoding_kwargs,     model.generate (lessons 00, 06 and 07)
        prompt_kwargs, length_kwargs
    CHAT_TEMPLATE / chat_prompt_kwargs             tokenizer.apply_chat_template
    ENCODE / encode_kwargs                         tokenizer(...) on prompt texts
    DECODE / decode_kwargs                         tokenizer.decode of generated tokens
    TRAIN / train_kwargs                           Trainer.train (lesson 05)
    ROTATE / rotate_kwargs                         trainer_utils.rotate_checkpoints (lesson 05)
    LLAMA_CONFIG / llama_config_kwargs             LlamaConfig of the tiny model's build
    GENERATION_CONFIG / generation_config_kwargs   the tiny model's saved GenerationConfig

The NF4 recipe (transformers' BitsAndBytesConfig) is bitsandbytes' settings, so it lives in
`course_utils.model.stack.bitsandbytes_args`; PEFT's `adapter_names` keyword of `generate`
(lesson 07's mixed batches) lives in `course_utils.model.stack.peft_args`.

What this leaves out: positional arguments and the `**enc` a tokenizer returns (input ids and
attention mask, passed on to `generate` as they came).
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
    ("max_new_tokens", "do_sample", "eos_token_id", "pad_token_id", "input_ids", "attention_mask",
     "temperature", "top_p", "top_k", "min_new_tokens", "logits_processor", "stopping_criteria"),
    where="course_utils.model.load.chat, course_utils.evaluate.systems.generate, "
          "course_utils.serve.engine.MultiAdapterModel.generate_ids, course_utils.serve.merge, "
          "course_utils.model.tiny.build._sample_answers",
    forwards_to=("transformers.GenerationMixin.prepare_inputs_for_generation",),
    attributes_of=("transformers.GenerationConfig",))
CHAT_TEMPLATE = LibraryCall(
    "transformers.PreTrainedTokenizerBase.apply_chat_template",
    ("add_generation_prompt", "tokenize", "return_tensors", "return_dict"),
    where="course_utils.model.load.chat, course_utils.evaluate.systems.generate / _fit, "
          "course_utils.serve.engine.MultiAdapterModel.encode, course_utils.serve.merge._prompt_ids, "
          "course_utils.model.tiny.build._sample_answers")
ENCODE = LibraryCall(
    "transformers.PreTrainedTokenizerBase.__call__",
    ("add_special_tokens", "return_tensors", "padding", "split_special_tokens"),
    where="course_utils.evaluate.systems.generate, course_utils.serve.engine._encode_as_text, "
          "course_utils.model.tiny.build")
DECODE = LibraryCall(
    "transformers.PreTrainedTokenizerBase.decode", ("skip_special_tokens",),
    where="course_utils.model.load.chat, course_utils.evaluate.systems.generate, course_utils.serve "
          "(engine, answer, merge), course_utils.model.tiny.build, "
          "course_utils.widgets.diagrams.chat_mask_diagram")
TRAIN = LibraryCall(
    "transformers.Trainer.train", ("resume_from_checkpoint",),
    where="course_utils.training.run._fit")
ROTATE = LibraryCall(
    "transformers.trainer_utils.rotate_checkpoints",
    ("output_dir", "save_total_limit", "best_model_checkpoint", "use_mtime"),
    where="course_utils.training.trainer.CourseSFTTrainer._save_checkpoint")

LLAMA_CONFIG = LibraryCall(
    "transformers.LlamaConfig",
    ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
     "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "rope_theta",
     "tie_word_embeddings", "bos_token_id", "eos_token_id", "pad_token_id"),
    where="course_utils.model.tiny.build.build",
    # transformers 5 reads rope_theta out of **kwargs into rope_parameters
    forwards_to=("transformers.modeling_rope_utils.RotaryEmbeddingConfigMixin.convert_rope_params_to_dict",))
GENERATION_CONFIG = LibraryCall(
    "transformers.GenerationConfig", ("eos_token_id", "pad_token_id", "do_sample", "max_new_tokens"),
    where="course_utils.model.tiny.build.build")

CALLS = (MODEL_FROM_PRETRAINED, TOKENIZER_FROM_PRETRAINED, GENERATE, CHAT_TEMPLATE, ENCODE, DECODE,
         TRAIN, ROTATE, LLAMA_CONFIG, GENERATION_CONFIG)

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


def greedy_kwargs(max_new_tokens: int, pad_token_id=None, eos_token_id=None) -> dict:
    """Lesson 00. `generate` keywords of a greedy answer of at most `max_new_tokens` tokens
    (`eos_token_id`: a list of end tokens, when the model's own is not enough; a None id is
    left to the model's generation_config)."""
    kwargs = dict(max_new_tokens=max_new_tokens, do_sample=False)
    if eos_token_id is not None:
        kwargs["eos_token_id"] = eos_token_id
    if pad_token_id is not None:
        kwargs["pad_token_id"] = pad_token_id
    return GENERATE.kwargs(kwargs)


def decoding_kwargs(max_new_tokens: int, *, temperature: float = 0.0, top_p: float = 1.0,
                    pad_token_id=None, eos_token_id=None, min_new_tokens: int | None = None,
                    logits_processor=None, stopping_criteria=None) -> dict:
    """Lesson 07. `generate` keywords of a server's answer: greedy unless `temperature` > 0
    (then nucleus sampling with `top_p`). A preset's own sampling defaults are switched off
    (top_k=None: Qwen ships top_k=20), and so are temperature and top_p when greedy. The ids and
    the optional `min_new_tokens` (one length for the whole batch), `logits_processor` and
    `stopping_criteria` are passed only when given."""
    kwargs = dict(max_new_tokens=max_new_tokens, do_sample=temperature > 0)
    if pad_token_id is not None:
        kwargs["pad_token_id"] = pad_token_id
    if eos_token_id is not None:
        kwargs["eos_token_id"] = eos_token_id
    kwargs.update(temperature=temperature or None, top_p=top_p if temperature > 0 else None, top_k=None)
    optional = dict(min_new_tokens=min_new_tokens, logits_processor=logits_processor,
                    stopping_criteria=stopping_criteria)
    kwargs.update({k: v for k, v in optional.items() if v is not None})
    return GENERATE.kwargs(kwargs)


def prompt_kwargs(input_ids, attention_mask) -> dict:
    """Lesson 07. `generate` keywords of the prompt batch: token ids and which of them are real
    (0 marks the left padding)."""
    return GENERATE.kwargs(dict(input_ids=input_ids, attention_mask=attention_mask))


def length_kwargs(max_new_tokens: int) -> dict:
    """Lesson 00. `generate` keywords that set only the answer's length and leave every other
    setting to the model's generation_config."""
    return GENERATE.kwargs(dict(max_new_tokens=max_new_tokens))


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


def encode_kwargs(padded_batch: bool = False, *, tensors: bool = False,
                  split_special_tokens: bool = False) -> dict:
    """Lesson 06. Tokenizer keywords for texts that already hold their special tokens (rendered
    chat templates); `padded_batch`: one padded tensor batch; `tensors`: PyTorch tensors;
    `split_special_tokens`: a special token spelled in the text becomes its ordinary tokens
    (lesson 07: a user cannot type "<|im_end|>" into the chat)."""
    kwargs = (dict(return_tensors="pt", padding=True) if padded_batch
              else dict(return_tensors="pt") if tensors else {})
    if split_special_tokens:
        kwargs["split_special_tokens"] = True
    return ENCODE.kwargs(dict(kwargs, add_special_tokens=False))


def decode_kwargs(keep_special_tokens: bool = False) -> dict:
    """Lesson 00. `tokenizer.decode` keywords for a reply: the text without end or padding
    tokens; `keep_special_tokens`: every token as it is (lesson 04's token-by-token diagram)."""
    return DECODE.kwargs(dict(skip_special_tokens=not keep_special_tokens))


def train_kwargs(resume_from) -> dict:
    """Lesson 05. `Trainer.train` keywords: the checkpoint folder to resume from, or None."""
    return TRAIN.kwargs(dict(resume_from_checkpoint=str(resume_from) if resume_from else None))


def rotate_kwargs(output_dir, save_total_limit, best_model_checkpoint) -> dict:
    """Lesson 05. `rotate_checkpoints` keywords: keep the newest `save_total_limit` checkpoints
    (by modification time: a renamed-in checkpoint is the newest) and the best one."""
    return ROTATE.kwargs(dict(output_dir=str(output_dir), save_total_limit=save_total_limit,
                              best_model_checkpoint=best_model_checkpoint, use_mtime=True))


def llama_config_kwargs(arch, *, bos_token_id, eos_token_id, pad_token_id) -> dict:
    """Lesson 00. `LlamaConfig` keywords of the tiny model: the sizes in `arch` and the special
    token ids (None: no such token)."""
    return LLAMA_CONFIG.kwargs(dict(arch, bos_token_id=bos_token_id, eos_token_id=eos_token_id,
                                    pad_token_id=pad_token_id))


def generation_config_kwargs(eos_token_id, pad_token_id, max_new_tokens: int) -> dict:
    """Lesson 00. `GenerationConfig` keywords saved with the tiny model: greedy answers of at most
    `max_new_tokens` tokens that stop at any of the `eos_token_id` ids."""
    return GENERATION_CONFIG.kwargs(dict(eos_token_id=eos_token_id, pad_token_id=pad_token_id,
                                         do_sample=False, max_new_tokens=max_new_tokens))
