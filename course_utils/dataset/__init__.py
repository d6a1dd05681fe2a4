"""Lesson 04: the synthetic task data, loading, curation, splitting and chat formatting. Imports no torch."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "expected_trained_text": "chat_format",
    "load_chat_tokenizer": "chat_format",
    "mask_html": "chat_format",
    "mask_text": "chat_format",
    "render": "chat_format",
    "tokenize_with_mask": "chat_format",
    "trained_text": "chat_format",
    "check_size": "curation",
    "course_token_counter": "curation",
    "cross_split_pairs": "curation",
    "curate": "curation",
    "drop_empty": "curation",
    "drop_malformed": "curation",
    "format_scores": "curation",
    "jaccard": "curation",
    "mix": "curation",
    "redact_text": "curation",
    "rendered_length": "curation",
    "score_against_truth": "curation",
    "shingles": "curation",
    "split": "curation",
    "task_shares": "curation",
    "generate_task_rows": "datagen",
    "make_raw": "datagen",
    "user_text": "datagen",
    "load_general": "load",
    "load_jsonl": "load",
    "load_raw": "load",
    "load_split": "load",
    "load_truth": "load",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
