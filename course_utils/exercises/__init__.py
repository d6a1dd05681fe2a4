"""The lessons' exercise checks, one module per lesson, all built on `check.py`'s helper.

Every check returns None while the answer is still ``None``, True when right, False with a
hint when wrong, and never raises. Reference solutions live outside the package (``solutions/``).
"""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "check_exercise_01_basic": "lesson_01",
    "check_exercise_01_variation": "lesson_01",
    "check_exercise_01_stretch": "lesson_01",
    "check_exercise_02_basic": "lesson_02",
    "check_exercise_02_variation": "lesson_02",
    "check_exercise_02_stretch": "lesson_02",
    "check_exercise_03_basic": "lesson_03",
    "check_exercise_03_variation": "lesson_03",
    "check_exercise_03_stretch": "lesson_03",
    "check_mix": "lesson_04",
    "check_rates_experiment": "lesson_04",
    "check_shouting_step": "lesson_04",
    "check_exercise_05_basic": "lesson_05",
    "check_exercise_05_variation": "lesson_05",
    "check_exercise_05_stretch": "lesson_05",
    "check_paired": "lesson_06",
    "check_gate": "lesson_06",
    "check_urgency_metric": "lesson_06",
    "check_exercise_07_basic": "lesson_07",
    "check_exercise_07_variation": "lesson_07",
    "check_exercise_07_stretch": "lesson_07",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
