"""`python -m course_utils.preflight`: check a machine before a class (see course_utils.tools.preflight)."""
from course_utils.tools.preflight import main

raise SystemExit(main())
