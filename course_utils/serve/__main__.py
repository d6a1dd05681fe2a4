"""`python -m course_utils.serve`: lesson 07's OpenAI-compatible server (see `course_utils.serve.cli`).

What this leaves out: everything but the call; the options and their checks are in cli.py."""
from course_utils.serve.cli import main

raise SystemExit(main())
