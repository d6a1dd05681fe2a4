"""`python -m course_utils.serve`: lesson 07's OpenAI-compatible server."""
from course_utils.serve.engine import main

raise SystemExit(main())
