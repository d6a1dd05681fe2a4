"""`python -m course_utils.train`: lesson 05's training command line (see course_utils.training.cli)."""
from course_utils.training.cli import main

raise SystemExit(main())
