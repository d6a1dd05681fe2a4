"""Chat templates the assistant-only loss can read, and which message rules a base follows.

Lesson 05 trains with TRL's `assistant_only_loss=True`: TRL masks the loss with the chat
template's `{% generation %}` ... `{% endgeneration %}` marks, and supplies a marked copy only for
templates it knows (TRL 1.16: Qwen2.5 and Llama 3, among others, but not Llama 3.1 or Mistral
v0.3, for which `SFTTrainer` raises "chat template is not training-compatible").
`training_chat_template(tokenizer)` puts a marked copy of those two templates on the tokenizer
while the trainer is built (TRL tokenizes the datasets then) and puts the original back after;
the marked copy renders exactly the same text, with the marks around each reply and its end
token.

`messages_preset(base, config)` names the preset whose message rules apply to a base given as a
folder (no system role for a Mistral model: `format_messages` folds the system message into the
first user turn).

What this leaves out: templates of other models (TRL's own error is raised for them), tool-call
turns (the marks cover plain replies; a marked tool call is not needed by the course's data),
and telling apart a Mistral-architecture model that was given another template (its system
message is still folded, which that template renders just as well).
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from course_utils.model.presets import PRESETS

# Llama 3.1 (TRL's copy of Meta's template): every non-tool turn is this one line.
LLAMA31_LINE = ("{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
                "message['content'] | trim + '<|eot_id|>' }}")
LLAMA31_MARKED_LINE = (
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{%- generation %}{{- message['content'] | trim + '<|eot_id|>' }}{%- endgeneration %}"
    "{%- else %}" + LLAMA31_LINE + "{%- endif %}")
# Mistral-7B-Instruct-v0.3 (tokenizer_config.json on the Hub): a reply is " " + content + </s>.
MISTRAL_V03_REPLY = '{{- " " + message["content"]|trim + eos_token}}'
MISTRAL_V03_MARKED_REPLY = "{%- generation %}" + MISTRAL_V03_REPLY + "{%- endgeneration %}"

# (what the template contains, what replaces it) for each template marked here
_MARKS = ((LLAMA31_LINE, LLAMA31_MARKED_LINE), (MISTRAL_V03_REPLY, MISTRAL_V03_MARKED_REPLY))
# model_type in a folder's config.json -> the preset whose message rules apply
_PRESET_BY_MODEL_TYPE = {"mistral": "mistral-7b"}


def marked_template(template: str) -> str | None:
    """Lesson 05. `template` with `{% generation %}` marks around each reply and its end token
    (Llama 3.1, Mistral v0.3), rendering the same text; None for a template not known here."""
    for line, marked in _MARKS:
        if template.count(line) == 1:
            return template.replace(line, marked)
    return None


def training_template_for(tokenizer) -> str | None:
    """Lesson 05. The marked copy `train` uses for this tokenizer's template: None when the
    template is marked already or TRL patches it itself (then TRL's copy is used)."""
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    template = tokenizer.chat_template
    if not isinstance(template, str) or has_generation_markers(template):
        return None
    try:
        get_training_chat_template(tokenizer)
        return None
    except ValueError:
        return marked_template(template)  # None: TRL's own error follows, naming the template


@contextmanager
def training_chat_template(tokenizer):
    """Lesson 05. While inside: the tokenizer carries the marked copy of its template where TRL
    needs one (`training_template_for`); the original is put back on the way out."""
    marked = training_template_for(tokenizer)
    if marked is None:
        yield tokenizer.chat_template
        return
    original = tokenizer.chat_template
    tokenizer.chat_template = marked
    try:
        yield marked
    finally:
        tokenizer.chat_template = original


def messages_preset(base, config=None) -> str | None:
    """Lesson 07. The preset whose message rules (`format_messages`) apply to `base`: the preset
    itself, the preset of a known Hub id, or for a folder the preset of its config's model_type
    (`config` when given, else the folder's config.json); None when no rule applies."""
    name = str(base)
    if name.lower() in PRESETS:
        return name.lower()
    for preset in PRESETS.values():
        if preset.repo_id and preset.repo_id.lower() == name.lower():
            return preset.name
    model_type = getattr(config, "model_type", None)
    if model_type is None and os.path.isfile(Path(name) / "config.json"):
        model_type = json.loads((Path(name) / "config.json").read_text()).get("model_type")
    return _PRESET_BY_MODEL_TYPE.get(model_type)
