"""Test-wide settings: no test (and no notebook run under nbmake) ever touches the network."""

import os

# Set before anything imports huggingface_hub, and inherited by the nbmake kernels.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
