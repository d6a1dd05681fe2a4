"""The lesson quizzes: their content, the loader's errors, `grade`, and the widget driven by hand."""

import json
import re
import textwrap

import pytest

pytest.importorskip("ipywidgets")

from course_utils.errors import DataFileError
from course_utils.paths import NOTEBOOKS_DIR
from course_utils.widgets.quizzes import QUIZ_DIR, grade, load_quiz, quiz

LESSONS = [f"{n:02d}" for n in range(8)]


def headings(lesson: str) -> list[str]:
    """The markdown headings of the lesson's notebook, without emphasis markers."""
    (path,) = NOTEBOOKS_DIR.glob(f"{lesson}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return [re.sub(r"[*`]", "", h) for h in re.findall(r"^#+ (.+)$", text, re.M)]


# --- content ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_has_three_to_five_questions_whose_options_explain_themselves(lesson):
    qz = load_quiz(lesson)
    assert 3 <= len(qz.questions) <= 5
    for q in qz.questions:
        assert len(q.options) >= 3, q.id
        for o in q.options:
            verdict = "Right" if o.correct else "Wrong"
            assert o.why.startswith(verdict), f"{lesson}/{q.id}: {o.text!r} -> {o.why[:40]!r}"
            assert len(o.why.split()) >= 8, f"{lesson}/{q.id}: say why, with the concept"


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_question_names_a_section_of_its_lesson(lesson):
    heads = headings(lesson)
    for q in load_quiz(lesson).questions:
        assert any(h.startswith(q.section) for h in heads), f"{lesson}/{q.id}: {q.section!r}"


def test_the_right_answer_is_not_always_in_the_same_place():
    for lesson in LESSONS:
        places = [q.right for q in load_quiz(lesson).questions]
        assert len(set(places)) >= 3, f"lesson {lesson}: right answers at {places}"


def test_only_lesson_files_live_in_the_quiz_folder():
    assert sorted(p.name for p in QUIZ_DIR.iterdir()) == [f"lesson_{n}.yaml" for n in LESSONS]


# --- grading ------------------------------------------------------------------------------------

def test_grade_by_index_text_and_order():
    qz = load_quiz("04")
    right = {q.id: q.right for q in qz.questions}
    assert [r.correct for r in grade("04", right)] == [True] * len(qz.questions)
    wrong = {q.id: (q.right + 1) % len(q.options) for q in qz.questions}
    results = grade(4, wrong)
    assert [r.correct for r in results] == [False] * len(qz.questions)
    first = qz.questions[0]
    assert results[0].explanation == first.options[wrong[first.id]].why
    assert results[0].right == first.right
    by_text = grade(qz, [first.options[first.right].text])
    assert by_text[0].correct is True
    assert [r.correct for r in by_text[1:]] == [None] * (len(qz.questions) - 1)
    assert by_text[1].explanation == "" and by_text[1].chosen is None


def test_grade_names_what_is_wrong_with_an_answer():
    with pytest.raises(ValueError, match=r"no question\(s\) \['nope'\]"):
        grade("04", {"nope": 0})
    with pytest.raises(ValueError, match="option 9 does not exist"):
        grade("04", [9])
    with pytest.raises(ValueError, match="no option reads"):
        grade("04", ["not an option"])
    with pytest.raises(ValueError, match="9 answers for the 5 questions"):
        grade("04", [0] * 9)
    with pytest.raises(FileNotFoundError, match="quizzes exist for lessons"):
        load_quiz("09")


# --- loader errors --------------------------------------------------------------------------------

GOOD = """\
lesson: "04"
title: T
questions:
  - id: q-one
    question: Which?
    options:
      - text: A
        correct: true
        why: Right because.
      - text: B
        why: Wrong because.
"""


def write(tmp_path, text):
    (tmp_path / "lesson_04.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("edit, line, field, words", [
    (("        why: Wrong because.\n", ""), 10, "questions[0].options[1].why", "question 'q-one'"),
    (("      - text: B\n", "      - text: B\n        correct: true\n"), 7,
     "questions[0].options", "exactly one option"),
    (("        why: Right because.\n", "        why: Right because.\n        explain: x\n"), 7,
     "questions[0].options[0]", "unknown key(s) ['explain']"),
    (('lesson: "04"', 'lesson: "05"'), 1, "lesson", "write lesson: \"04\""),
    (("  - id: q-one", "  - id: Q One"), 4, "questions[0].id", "lower-case slug"),
    (("        correct: true", "        correct: yes please"), 8,
     "questions[0].options[0].correct", "true or false"),
])
def test_loader_errors_name_file_line_question_and_field(tmp_path, edit, line, field, words):
    folder = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(DataFileError) as err:
        load_quiz("04", folder)
    e = err.value
    assert (e.path, e.line, e.field) == (str(folder / "lesson_04.yaml"), line, field)
    assert words in str(e)


def test_loader_reports_broken_yaml_and_duplicate_ids(tmp_path):
    with pytest.raises(DataFileError, match=r"lesson_04.yaml, line 5: not valid YAML"):
        load_quiz("04", write(tmp_path, GOOD.replace("question: Which?", "question: [Which?")))
    doubled = GOOD + GOOD.split("questions:\n", 1)[1]
    with pytest.raises(DataFileError, match=r"line 12, field 'questions\[1\].id'.*used twice"):
        load_quiz("04", write(tmp_path, doubled))
    assert load_quiz("04", write(tmp_path, GOOD)).questions[0].right == 0


# --- the widget, driven as a learner would ----------------------------------------------------------

def test_widget_one_question_at_a_time_check_and_navigate():
    w = quiz("04")
    qz = load_quiz("04")
    first, second = w.panels[0], w.panels[1]
    assert first in w.children and second not in w.children
    assert w.previous.disabled and not w.next.disabled

    first.check.click()                                   # nothing chosen yet
    assert "Choose an answer" in first.feedback.value

    q = qz.questions[0]
    wrong = (q.right + 1) % len(q.options)
    first.choice.value = wrong
    first.check.click()
    assert "Not this one" in first.feedback.value
    for o in q.options:                                   # every option explained
        assert o.why[:30].replace("'", "&#x27;") in first.feedback.value
    assert "0 right of 1 checked" in w.score.value

    first.choice.value = q.right
    first.check.click()
    assert "✓ Right." in first.feedback.value and "1 right of 1 checked" in w.score.value

    w.next.click()
    assert second in w.children and first not in w.children and not w.previous.disabled
    for _ in range(10):
        w.next.click()
    assert w.current == len(qz.questions) - 1 and w.next.disabled


def test_widget_all_questions_at_once():
    w = quiz("07", one_at_a_time=False)
    assert all(p in w.children for p in w.panels)
    last = w.panels[-1]
    last.choice.value = last.question.right
    last.check.click()
    assert "✓ Right." in last.feedback.value
    assert f"1 right of 1 checked; {len(w.panels)} questions" in w.score.value
