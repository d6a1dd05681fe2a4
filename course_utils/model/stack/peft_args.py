"""Every keyword the course passes to peft.

    LORA_CONFIG                 LoraConfig: the values, each with its reason, are built by
                                `course_utils.training.config.lora_config` (lesson 05)
    ADAPTER_FROM_PRETRAINED / adapter_kwargs   PeftModel.from_pretrained (lesson 06)

What this leaves out: `get_peft_model(model, config)`, which takes no keywords, and the serving
layer's calls.
"""

from __future__ import annotations

from course_utils.model.stack.call import LibraryCall

LORA_CONFIG = LibraryCall(
    "peft.LoraConfig", ("r", "lora_alpha", "lora_dropout", "target_modules", "bias", "task_type"),
    where="course_utils.training.config.lora_config")
ADAPTER_FROM_PRETRAINED = LibraryCall(
    "peft.PeftModel.from_pretrained", ("adapter_name",),
    where="course_utils.evaluate.experiments.load_adapter")

CALLS = (LORA_CONFIG, ADAPTER_FROM_PRETRAINED)


def adapter_kwargs(adapter_name: str) -> dict:
    """Lesson 06. `PeftModel.from_pretrained` keywords: the name the adapter gets on the model."""
    return ADAPTER_FROM_PRETRAINED.kwargs(dict(adapter_name=adapter_name))
