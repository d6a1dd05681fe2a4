"""Lesson 05: a training run that survives being stopped (spot instances, Ctrl-C, Colab's stop button).

Three traps; the first and the third are handled here, the second by the checkpoint modules:

1. **A plain SIGTERM kills a Trainer at once, with no save.** `PreemptionCallback` only sets a
   flag when the signal arrives; at the end of the current optimizer step it asks the Trainer to
   save a full checkpoint (adapter, optimizer, scheduler, RNG states, trainer state) and to stop.
   Under data parallel the flag is all-reduced, so every process stops at the same step (a rank
   that stops alone would leave the others waiting forever in the next gradient all-reduce).
2. **`transformers.trainer_utils.get_last_checkpoint` does not check a checkpoint**: a folder
   cut short or truncated makes every resume crash. `course_utils.training.checkpoints` checks
   each one (files complete, readable, of this run's shapes), sets broken ones aside and falls
   back to the newest good one; the course's trainer writes checkpoints so that a kill mid-save
   never leaves one that looks complete (`course_utils.training.trainer`).
3. **Resume dtype drift.** TRL casts QLoRA adapter weights to bf16; on resume the Trainer reloads
   them through PEFT's `load_adapter`, which upcasts them to fp32, so the resumed run trains in
   another dtype (and saves adapters twice the size). `restore_trainable_dtypes` puts the
   original dtypes back right after the weights load, before the optimizer state is loaded (the
   optimizer casts its state to the parameters' dtype), so a resumed run is bitwise equal to an
   uninterrupted one.

What this leaves out: a SIGKILL (or a power cut) cannot be caught; only the checkpoints already
written survive it, which is why runs also save every N steps. Cloud providers give notice
before they take a spot machine back (about 30 s on GCP, 2 minutes on AWS) and the shutdown then
sends processes a SIGTERM; either is far longer than a LoRA checkpoint takes to write.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from transformers import TrainerCallback


class PreemptionCallback(TrainerCallback):
    """Lesson 05. On SIGTERM/SIGINT: finish the current step, save a checkpoint, stop cleanly.

    `interrupt_at_step` sends this process a real SIGTERM at the end of that step (a rehearsal of
    a spot-instance preemption, used by the notebook and the tests). A second Ctrl-C while the
    checkpoint is being written gives up and raises KeyboardInterrupt as usual.
    """

    def __init__(self, signals=(signal.SIGTERM, signal.SIGINT), interrupt_at_step: int | None = None):
        self.signals = tuple(signals)
        self.interrupt_at_step = interrupt_at_step
        self.received: int | None = None       # the signal number that asked us to stop
        self.stopped_at_step: int | None = None
        self._previous: dict = {}

    # -- signal handling ---------------------------------------------------------------------
    def install(self) -> None:
        """Route the signals to this callback (main thread only; elsewhere Python forbids it).

        A signal the process was told to ignore (SIG_IGN: e.g. SIGINT of a job started in the
        background) stays ignored.
        """
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for sig in self.signals:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        """Give the signals back to whoever had them before."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def _handle(self, signum, frame) -> None:
        if self.received is not None and signum == signal.SIGINT:
            self.uninstall()
            raise KeyboardInterrupt("second interrupt while stopping: giving up without a save")
        self.received = signum
        print(f"\n{signal.Signals(signum).name} received: finishing this step, saving a checkpoint, "
              f"then stopping (press Ctrl-C again to abort without saving)", file=sys.stderr, flush=True)

    # -- Trainer hooks -------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, **kwargs):
        self.install()

    def on_step_end(self, args, state, control, **kwargs):
        if self.interrupt_at_step is not None and state.global_step == self.interrupt_at_step \
                and args.process_index == 0:
            self.interrupt_at_step = None
            os.kill(os.getpid(), signal.SIGTERM)   # a real signal, delivered to _handle
            for _ in range(100):                   # Python runs handlers between bytecodes:
                if self.received is not None:      # give it the chance before we look
                    break
                time.sleep(0.01)
        if _any_process(self.received is not None, args):
            control.should_save = True            # a full checkpoint at this step ...
            control.should_training_stop = True   # ... then leave the training loop
            self.stopped_at_step = state.global_step
        return control

    def on_train_end(self, args, state, control, **kwargs):
        self.uninstall()


def _any_process(flag: bool, args) -> bool:
    """True on every process when it is True on any (a MAX all-reduce; a no-op on one process)."""
    import torch
    import torch.distributed as dist

    if args.world_size <= 1 or not (dist.is_available() and dist.is_initialized()):
        return flag
    t = torch.tensor([1 if flag else 0], device=args.device)  # NCCL needs it on the GPU
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


# ----------------------------------------------------------------------------------------------
# Resume dtype drift


def trainable_dtypes(model) -> dict:
    """Lesson 05. {parameter name: dtype} of the parameters that train (the LoRA matrices)."""
    return {n: p.dtype for n, p in model.named_parameters() if p.requires_grad}


def restore_trainable_dtypes(model, dtypes: dict) -> int:
    """Lesson 05. Cast parameters back to `dtypes` (from `trainable_dtypes`); returns how many moved.

    The cast is in place on the same Parameter objects, so an optimizer that already holds them
    keeps working.
    """
    moved = 0
    for name, p in model.named_parameters():
        want = dtypes.get(name)
        if want is not None and p.dtype != want:
            p.data = p.data.to(want)
            moved += 1
    return moved
