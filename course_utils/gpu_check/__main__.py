"""`python -m course_utils.gpu_check`: the 7B QLoRA path on this GPU (see course_utils.tools.gpu_check)."""
from course_utils.tools.gpu_check import main

raise SystemExit(main())
