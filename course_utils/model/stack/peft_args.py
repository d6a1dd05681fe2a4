"""Every keyword the course passes to peft.

    LORA_CONFIG / random_lora_kwargs           LoraConfig: lesson 05's values, each with its
                                               reason, are built by
                                               `course_utils.training.config.lora_config`;
                                               lesson 07's untrained test adapters here
    ADAPTER_FROM_PRETRAINED / adapter_kwargs   PeftModel.from_pretrained (lessons 06 and 07)
    LOAD_ADAPTER / load_adapter_kwargs         PeftModel.load_adapter: one more adapter (lesson 07)
    MIXED_BATCH / mixed_batch_kwargs           PeftModel.generate's adapter_names: one adapter
                                               per row of a batch (lesson 07)

What this leaves out: `get_peft_model(model, config)`, which takes no keywords, and the
transformers keywords of the same `generate` call (`transformers_args.GENERATE`).
"""

from __future__ import annotations

from course_utils.model.stack.call import LibraryCall

LORA_CONFIG = LibraryCall(
    "peft.LoraConfig",
    ("r", "lora_alpha", "lora_dropout", "target_modules", "bias", "task_type", "init_lora_weights"),
    where="course_utils.training.config.lora_config, course_utils.serve.adapters.random_adapters")
ADAPTER_FROM_PRETRAINED = LibraryCall(
    "peft.PeftModel.from_pretrained", ("adapter_name",),
    where="course_utils.evaluate.experiments.load_adapter, "
          "course_utils.serve.engine.MultiAdapterModel.add_adapter")
LOAD_ADAPTER = LibraryCall(
    "peft.PeftModel.load_adapter", ("adapter_name",),
    where="course_utils.serve.engine.MultiAdapterModel.add_adapter, "
          "course_utils.serve.bench.switch_latency")
MIXED_BATCH = LibraryCall(
    "peft.PeftModelForCausalLM.generate", ("adapter_names",),
    where="course_utils.serve.engine.MultiAdapterModel._select",
    # PEFT's generate(*args, **kwargs) hands them to the LoRA model, which pops adapter_names
    forwards_to=("peft.tuners.lora.model.LoraModel._enable_peft_forward_hooks",))

CALLS = (LORA_CONFIG, ADAPTER_FROM_PRETRAINED, LOAD_ADAPTER, MIXED_BATCH)


def adapter_kwargs(adapter_name: str) -> dict:
    """Lesson 06. `PeftModel.from_pretrained` keywords: the name the adapter gets on the model."""
    return ADAPTER_FROM_PRETRAINED.kwargs(dict(adapter_name=adapter_name))


def load_adapter_kwargs(adapter_name: str) -> dict:
    """Lesson 07. `PeftModel.load_adapter` keywords: the name the extra adapter gets on the model."""
    return LOAD_ADAPTER.kwargs(dict(adapter_name=adapter_name))


def mixed_batch_kwargs(adapter_names) -> dict:
    """Lesson 07. `generate` keywords of a PEFT model that answer each row of the batch with its
    own adapter ("__base__": the bare base model)."""
    return MIXED_BATCH.kwargs(dict(adapter_names=adapter_names))


def random_lora_kwargs(r: int, lora_alpha: float, target_modules) -> dict:
    """Lesson 07. `LoraConfig` keywords of an untrained adapter with random weights:
    `init_lora_weights=False` draws both A and B at random (a fresh adapter has B = 0 and would
    answer exactly like the base); no dropout, no bias, a causal LM."""
    return LORA_CONFIG.kwargs(dict(r=r, lora_alpha=lora_alpha, target_modules=target_modules,
                                   lora_dropout=0.0, init_lora_weights=False, bias="none",
                                   task_type="CAUSAL_LM"))
