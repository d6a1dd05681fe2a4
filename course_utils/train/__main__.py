"""`python -m course_utils.train`: lesson 05's training command line."""
from course_utils.training.run import main

raise SystemExit(main())
