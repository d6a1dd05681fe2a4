"""What the course uses of accelerate directly: the trainer waits for every process around a
checkpoint (`Accelerator.wait_for_everyone`, in `course_utils.training.trainer`).

The course passes accelerate no keywords of its own: the processes are started by `torchrun` or
`accelerate launch`, and the run's accelerate settings (`use_cpu`, `ddp_find_unused_parameters`)
go through TRL's SFTConfig (`course_utils.model.stack.trl_args`).

What this leaves out: FSDP and DeepSpeed plugins, which the course does not configure.
"""

from __future__ import annotations

from course_utils.model.stack.call import LibraryCall

ACCELERATOR = LibraryCall("accelerate.Accelerator", attributes=("wait_for_everyone",),
                          where="course_utils.training.trainer.CourseSFTTrainer._save_checkpoint")

CALLS = (ACCELERATOR,)
