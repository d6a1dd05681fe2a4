"""The tiny model's pre-training text (course_utils.model.tiny.corpus): seeded, and free of the
course's task formats, so the fine-tuning lessons can show what training adds."""

import json

from course_utils.model.tiny import corpus as tiny_corpus


def test_corpus_is_deterministic_and_free_of_the_course_task_formats():
    a = list(tiny_corpus.documents(2000, seed=3))
    assert a == list(tiny_corpus.documents(2000, seed=3))
    assert a != list(tiny_corpus.documents(2000, seed=4))
    text = json.dumps(a).lower()
    task_markers = ("urgency", "category", "sentiment", "order_id", "order id", "ord-",
                    "moderation", "label", "harassment", "triage", "nimbus", "warranty", "@")
    for task_marker in task_markers:
        assert task_marker not in text, f"the tiny model's corpus contains {task_marker!r}"


def test_corpus_teaches_json_in_general():
    """Generic JSON records and JSON-answering chats are there (the output layer must know `{`)."""
    docs = list(tiny_corpus.documents(2000, seed=3))
    answers = [d[-1]["content"] for kind, d in docs if kind == "chat"]
    json_answers = [json.loads(a) for a in answers if a.startswith("{")]
    assert 0.05 < len(json_answers) / len(docs) < 0.3
    assert any(None in r.values() for r in json_answers)                 # null is seen
    texts = [d for kind, d in docs if kind == "text"]
    assert any(line.startswith("{") and json.loads(line) for t in texts for line in t.split("\n"))
