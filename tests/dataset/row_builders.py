"""Small rows for the dataset tests: one task row with a valid answer unless told otherwise,
and a stand-in token counter."""

import re

from course_utils.dataset.generate import triage_answer
from course_utils.tasks import SYSTEM_PROMPTS


def row(rid, user, answer=None, task="triage"):
    """A well-formed row of `task` (triage by default, with a valid triage answer)."""
    answer = answer if answer is not None else triage_answer(
        category="technical", product="Aero Kettle", urgency="low", order_id=None,
        sentiment="neutral")
    return {"id": rid, "task": task, "messages": [
        {"role": "system", "content": SYSTEM_PROMPTS[task]}, {"role": "user", "content": user},
        {"role": "assistant", "content": answer}], "meta": {}}


def words(text):
    """A stand-in token counter: words and punctuation marks."""
    return len(re.findall(r"\w+|[^\w\s]", text))
