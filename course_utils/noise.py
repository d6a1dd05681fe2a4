"""Silence the known library noise, in one place, so lessons show what matters.

Called by the loader and the trainer (idempotent); a notebook may call `quiet()` itself.
What stays visible: training progress bars, real warnings about the learner's own choices,
and every error.

Silenced, each for a reason:
- weight-loading, hub-download and `datasets` map/filter progress bars: one per cell, no
  information for a learner (transformers' own switch; `datasets` reads its variable at import);
- bitsandbytes' CPU notice about the optional "kernels-community" hub kernels: the course runs
  without them, and fetching kernels from a hub is not possible offline anyway;
- transformers 5's FutureWarnings that `gradient_checkpointing_*` is renamed
  `activation_checkpointing_*`: raised from inside PEFT/TRL, not from course code;
- transformers' info/warning log lines (generation-config notices and the like).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings


def quiet() -> None:
    """Turn off the noise listed in the module docstring. Safe to call many times."""
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # fork warning in DataLoader workers
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r".*gradient_checkpointing.*deprecated.*",
                            category=FutureWarning)
    warnings.filterwarnings("ignore", message=r".*is_gradient_checkpointing.*", category=FutureWarning)
    warnings.filterwarnings("ignore", message=r".*kernels-community.*")
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()   # loading bars; Trainer's bar stays
    if "datasets" in sys.modules:
        import datasets

        datasets.utils.logging.disable_progress_bar()
        datasets.utils.logging.set_verbosity_error()
