"""Lesson 04: counting tokens the way the model will read a row.

A length limit only means something in the tokens of the model that trains: the curation's
``too_long`` step renders each conversation through the chat template
(`course_utils.dataset.chat_format.render_chatml`) and counts it with the course tokenizer
(``data/tiny_model/tokenizer.json``). Any ``str -> int`` function can stand in for the counter.

The tokenizer is read with the small `tokenizers` library (no transformers, no torch), once
per file.

What this leaves out: other models' tokenizers (pass their `tokenizer.json` path, or any
counting function) and token costs of generation.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

from course_utils.dataset.chat_format import render_chatml
from course_utils.paths import TINY_MODEL_DIR


@lru_cache(maxsize=4)
def _load_tokenizer(path: str):
    from tokenizers import Tokenizer  # light, but optional: read only when a count is asked

    return Tokenizer.from_file(path)


def course_token_counter(path=None) -> Callable[[str], int]:
    """Lesson 04. count_tokens(text) with the course tokenizer (`data/tiny_model/tokenizer.json`)."""
    path = Path(path) if path is not None else TINY_MODEL_DIR / "tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"course tokenizer not found at {path}; build the tiny model with "
            "`python -m course_utils.model.tiny.build`, or pass count_tokens= (any str -> int function)")
    tok = _load_tokenizer(str(path))
    return lambda text: len(tok.encode(text, add_special_tokens=False).ids)


def rendered_length(row: dict, count_tokens: Callable[[str], int]) -> int:
    """Lesson 04. Tokens of the row rendered with the course's chat template."""
    return count_tokens(render_chatml(row["messages"]))
