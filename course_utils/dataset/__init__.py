"""Lesson 04: the synthetic task data, loading, curation, splitting and chat formatting. Imports no torch.

Modules, lowest first (each imports only those above it):

    vocab, general_chat     the generator's word tables; general chat conversations
    textsim, tfidf          shingles, Jaccard, MinHash LSH near-duplicate index; char n-gram TF-IDF
    chat_format, tokens     rendering through the chat template, the loss mask; token counts
    rows, files             what a row is: user_text, row_problems; strict text and JSON reading
    generate, defects       clean task rows and facts; planted defects and their truth (make_raw)
    learner_vocab,          the learner-style file (data/learner_tickets.csv), made without the
      learner_file            generator, and its truth
    load, own_data          the course's loaders; your own CSV, JSON Lines, DataFrame or Dataset in
    steps, off_task, pii    the curation's steps
    size_check, curation    the size gate; the pipeline, its report and its score
    splits                  leak-free splits and the training mix
    build                   `python -m course_utils.dataset.build --out data/tasks`

What this leaves out: training on the data (course_utils.training) and scoring models on it
(course_utils.evaluate).
"""

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
    "curate": "curation",
    "format_scores": "curation",
    "score_against_truth": "curation",
    "make_raw": "defects",
    "generate_task_rows": "generate",
    "load_general": "load",
    "load_jsonl": "load",
    "load_raw": "load",
    "load_split": "load",
    "load_truth": "load",
    "LEARNER_FILE": "learner_file",
    "load_learner_truth": "learner_file",
    "general_requests": "off_task",
    "off_task_scores": "off_task",
    "LoadedRows": "own_data",
    "load_dataset_rows": "own_data",
    "iban_valid": "pii",
    "luhn_valid": "pii",
    "redact_text": "pii",
    "user_text": "rows",
    "check_size": "size_check",
    "cross_split_pairs": "splits",
    "mix": "splits",
    "split": "splits",
    "task_shares": "splits",
    "drop_empty": "steps",
    "drop_malformed": "steps",
    "jaccard": "textsim",
    "shingles": "textsim",
    "word_set": "textsim",
    "course_token_counter": "tokens",
    "rendered_length": "tokens",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
