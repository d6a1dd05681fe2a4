"""The concept quizzes at the end of each lesson (00-07): load, grade, and a widget to take them.

A lesson's questions live in ``data/quizzes/lesson_NN.yaml``; every option carries its own
explanation (``why``), so a learner who picks a wrong answer reads why it is wrong, in terms of
the lesson's concept, next to why the right one is right:

    lesson: "04"
    title: Data curation
    questions:
      - id: split-leakage
        section: "7. A split that does not leak"
        question: Why does `split` keep near-duplicate rows in the same split?
        options:
          - text: So that the test set does not reward memorising a template.
            correct: true
            why: ...
          - text: ...
            why: ...

`grade` is the pure part (tests and the widget both call it); `quiz` builds the ipywidgets
view: one question at a time with previous/next buttons, or all at once, each with its own
"Check" button. Loader errors are `DataFileError`s naming the file, the line, the question and
the field.

What this leaves out: scoring over time or across learners (nothing is stored), free-text
answers, and questions with more than one right option.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import ipywidgets as widgets
import yaml

from course_utils.errors import DataFileError
from course_utils.files import read_text
from course_utils.paths import DATA_DIR

QUIZ_DIR = DATA_DIR / "quizzes"
QUESTION_KEYS = {"id", "section", "question", "options"}
OPTION_KEYS = {"text", "why", "correct"}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Option:
    """Lesson 00-07. One answer to a question and why it is right or wrong."""

    text: str
    why: str
    correct: bool = False


@dataclass(frozen=True)
class Question:
    """Lesson 00-07. One concept question: exactly one of its options is right."""

    id: str
    question: str
    options: tuple[Option, ...]
    section: str = ""

    @property
    def right(self) -> int:
        """Index of the right option."""
        return next(i for i, o in enumerate(self.options) if o.correct)


@dataclass(frozen=True)
class Quiz:
    """Lesson 00-07. A lesson's questions, as read from its YAML file."""

    lesson: str
    title: str
    questions: tuple[Question, ...]
    path: str = ""

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"quiz {self.lesson} has no question {qid!r}; "
                       f"its questions: {[q.id for q in self.questions]}")


@dataclass(frozen=True)
class Result:
    """Lesson 00-07. One graded answer. `correct` is None when the question was not answered."""

    question: str          # the question's id
    chosen: int | None     # index of the chosen option
    right: int             # index of the right option
    correct: bool | None
    explanation: str       # why the chosen option is right or wrong ("" when not answered)


# --- loading ------------------------------------------------------------------------------------

def lesson_key(lesson: str | int) -> str:
    """'04' for 4, '4', '04' or 'lesson_04'."""
    text = str(lesson).strip().lower().removeprefix("lesson_").removeprefix("lesson ")
    if not text.isdigit():
        raise ValueError(f"lesson={lesson!r}: give the lesson number, e.g. '04' or 4")
    return f"{int(text):02d}"


def quiz_path(lesson: str | int, quiz_dir: Path | str | None = None) -> Path:
    """Lesson 00-07. The YAML file of a lesson's quiz (``data/quizzes/lesson_NN.yaml``)."""
    folder = Path(quiz_dir) if quiz_dir is not None else QUIZ_DIR
    path = folder / f"lesson_{lesson_key(lesson)}.yaml"
    if not path.is_file():
        have = sorted(p.stem.removeprefix("lesson_") for p in folder.glob("lesson_*.yaml"))
        raise FileNotFoundError(f"{path}: no quiz for lesson {lesson_key(lesson)}; quizzes exist "
                                f"for lessons {have}")
    return path


def _line(node: yaml.Node | None, *keys: str | int) -> int | None:
    """1-based line of the YAML node reached from `node` through `keys` (deepest one found)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


class _Reader:
    """Checks one quiz file; `fail` raises a DataFileError at the field's line."""

    def __init__(self, path: Path):
        self.path = path
        text = read_text(path)
        try:
            loader = yaml.SafeLoader(text)
            try:
                self.root = loader.get_single_node()
                self.data = loader.construct_document(self.root) if self.root else None
            finally:
                loader.dispose()
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            raise DataFileError(path, mark.line + 1 if mark else None, None,
                                f"not valid YAML: {getattr(err, 'problem', err)}") from None

    def fail(self, keys: tuple, field: str, message: str):
        raise DataFileError(self.path, _line(self.root, *keys), field, message)

    def text(self, mapping: Mapping, keys: tuple, field: str, what: str, name: str) -> str:
        value = mapping.get(keys[-1])
        if not isinstance(value, str) or not value.strip():
            got = "missing" if value is None else f"got {type(value).__name__} {value!r}"
            self.fail(keys, field, f"{what}: needs a non-empty text '{name}' ({got})")
        return " ".join(value.split())


def _read_option(r: _Reader, raw: Any, keys: tuple, field: str, qname: str) -> Option:
    if not isinstance(raw, dict):
        r.fail(keys, field, f"{qname}: each option is a mapping with 'text' and 'why'")
    extra = set(raw) - OPTION_KEYS
    if extra:
        r.fail(keys, field, f"{qname}: unknown key(s) {sorted(extra)}; an option has "
                            f"{sorted(OPTION_KEYS)}")
    correct = raw.get("correct", False)
    if not isinstance(correct, bool):
        r.fail(keys + ("correct",), f"{field}.correct",
               f"{qname}: 'correct' must be true or false, got {correct!r}")
    return Option(r.text(raw, keys + ("text",), f"{field}.text", qname, "text"),
                  r.text(raw, keys + ("why",), f"{field}.why", qname, "why"), correct)


def _read_question(r: _Reader, raw: Any, i: int, seen: set[str]) -> Question:
    keys, field = ("questions", i), f"questions[{i}]"
    if not isinstance(raw, dict):
        r.fail(keys, field, f"question {i + 1}: expected a mapping with {sorted(QUESTION_KEYS)}")
    qid = raw.get("id")
    if not isinstance(qid, str) or not ID_RE.match(qid) or qid in seen:
        r.fail(keys + ("id",), f"{field}.id",
               f"question {i + 1}: 'id' must be a new lower-case slug like 'split-leakage', "
               f"got {qid!r}" + (" (used twice)" if qid in seen else ""))
    seen.add(qid)
    qname = f"question '{qid}'"
    extra = set(raw) - QUESTION_KEYS
    if extra:
        r.fail(keys, field, f"{qname}: unknown key(s) {sorted(extra)}; a question has "
                            f"{sorted(QUESTION_KEYS)}")
    prompt = r.text(raw, keys + ("question",), f"{field}.question", qname, "question")
    section = raw.get("section", "")
    if not isinstance(section, str):
        r.fail(keys + ("section",), f"{field}.section", f"{qname}: 'section' must be text")
    opts = raw.get("options")
    if not isinstance(opts, list) or not 2 <= len(opts) <= 6:
        r.fail(keys + ("options",), f"{field}.options",
               f"{qname}: needs a list of 2 to 6 options, got {opts!r:.60}")
    options = tuple(_read_option(r, o, keys + ("options", j), f"{field}.options[{j}]", qname)
                    for j, o in enumerate(opts))
    n_right = sum(o.correct for o in options)
    if n_right != 1:
        r.fail(keys + ("options",), f"{field}.options",
               f"{qname}: exactly one option needs 'correct: true', found {n_right}")
    return Question(qid, prompt, options, section.strip())


def load_quiz(lesson: str | int, quiz_dir: Path | str | None = None) -> Quiz:
    """Lesson 00-07. Read and check a lesson's quiz; errors name file, line, question and field."""
    path = quiz_path(lesson, quiz_dir)
    r = _Reader(path)
    if not isinstance(r.data, dict):
        r.fail((), None, "expected a mapping with 'lesson', 'title' and 'questions'")
    if str(r.data.get("lesson")) != lesson_key(lesson):
        r.fail(("lesson",), "lesson", f"says lesson {r.data.get('lesson')!r} but the file is "
                                      f"{path.name}: write lesson: \"{lesson_key(lesson)}\"")
    title = r.text(r.data, ("title",), "title", "the quiz", "title")
    raw = r.data.get("questions")
    if not isinstance(raw, list) or not raw:
        r.fail(("questions",), "questions", "needs a non-empty list of questions")
    seen: set[str] = set()
    questions = tuple(_read_question(r, q, i, seen) for i, q in enumerate(raw))
    return Quiz(lesson_key(lesson), title, questions, str(path))


# --- grading ------------------------------------------------------------------------------------

def _index(q: Question, choice: int | str | None) -> int | None:
    if choice is None:
        return None
    if isinstance(choice, int) and not isinstance(choice, bool):
        if 0 <= choice < len(q.options):
            return choice
        raise ValueError(f"question {q.id!r}: option {choice} does not exist; give 0 to "
                         f"{len(q.options) - 1} or the option's text")
    if isinstance(choice, str):
        for i, o in enumerate(q.options):
            if o.text == " ".join(choice.split()):
                return i
        raise ValueError(f"question {q.id!r}: no option reads {choice!r}")
    raise TypeError(f"question {q.id!r}: an answer is an option index, its text or None, "
                    f"got {type(choice).__name__}")


def grade(lesson: str | int | Quiz, answers: Mapping[str, int | str | None] | Sequence) -> list[Result]:
    """Lesson 00-07. One `Result` per question, in the quiz's order.

    `answers` maps question ids to the chosen option (its 0-based index or its text), or lists
    the choices in question order; a missing or None answer grades as not answered.
    """
    qz = lesson if isinstance(lesson, Quiz) else load_quiz(lesson)
    if isinstance(answers, Mapping):
        unknown = sorted(set(answers) - {q.id for q in qz.questions})
        if unknown:
            raise ValueError(f"quiz {qz.lesson} has no question(s) {unknown}; its questions: "
                             f"{[q.id for q in qz.questions]}")
        choices = [answers.get(q.id) for q in qz.questions]
    else:
        choices = list(answers)
        if len(choices) > len(qz.questions):
            raise ValueError(f"{len(choices)} answers for the {len(qz.questions)} questions of "
                             f"quiz {qz.lesson}")
        choices += [None] * (len(qz.questions) - len(choices))
    return [grade_one(q, choice) for q, choice in zip(qz.questions, choices)]


def grade_one(q: Question, choice: int | str | None) -> Result:
    """Lesson 00-07. Grade one answer (an option index, its text, or None for not answered)."""
    i = _index(q, choice)
    return Result(q.id, i, q.right, None if i is None else i == q.right,
                  "" if i is None else q.options[i].why)


def feedback_html(q: Question, result: Result) -> str:
    """Lesson 00-07. The verdict on one answer, then why each option is right or wrong."""
    if result.correct is None:
        return "<p><i>Choose an answer, then press Check.</i></p>"
    head = ("<b style='color:#1a7f37'>✓ Right.</b>" if result.correct
            else "<b style='color:#cf222e'>✗ Not this one.</b>")
    items = []
    for i, o in enumerate(q.options):
        mark = "✓" if o.correct else "✗"
        chosen = " <i>(your answer)</i>" if i == result.chosen else ""
        items.append(f"<li>{mark} <b>{html.escape(o.text)}</b>{chosen}<br>"
                     f"{html.escape(o.why)}</li>")
    return f"<p>{head}</p><ul style='margin-top:0'>{''.join(items)}</ul>"


# --- the widget ---------------------------------------------------------------------------------

class QuestionPanel(widgets.VBox):
    """One question: its text, the options (`choice`), a `check` button and the `feedback`."""

    def __init__(self, q: Question, number: int, total: int, on_check=None):
        self.question, self.result, self._on_check = q, None, on_check
        self.title = widgets.HTML(
            f"<b>Question {number} of {total}</b>"
            + (f" <small>({html.escape(q.section)})</small>" if q.section else "")
            + f"<p>{html.escape(q.question)}</p>")
        self.choice = widgets.RadioButtons(options=[(o.text, i) for i, o in enumerate(q.options)],
                                           index=None, layout=widgets.Layout(width="100%"))
        self.check = widgets.Button(description="Check", button_style="primary")
        self.feedback = widgets.HTML()
        self.check.on_click(self._checked)
        super().__init__([self.title, self.choice, self.check, self.feedback],
                         layout=widgets.Layout(border="1px solid #ddd", padding="6px",
                                               margin="4px 0"))

    def _checked(self, _button=None) -> None:
        self.result = grade_one(self.question, self.choice.value)
        self.feedback.value = feedback_html(self.question, self.result)
        if self._on_check:
            self._on_check()


class QuizWidget(widgets.VBox):
    """A lesson's quiz: `panels` (one per question), previous/next buttons, a running score."""

    def __init__(self, qz: Quiz, one_at_a_time: bool = True):
        self.quiz, self.one_at_a_time, self.current = qz, one_at_a_time, 0
        n = len(qz.questions)
        self.panels = [QuestionPanel(q, i + 1, n, self._update_score)
                       for i, q in enumerate(qz.questions)]
        self.heading = widgets.HTML(f"<h4 style='margin:4px 0'>Check yourself: lesson "
                                    f"{qz.lesson}, {html.escape(qz.title)}</h4>")
        self.previous = widgets.Button(description="◀ Previous")
        self.next = widgets.Button(description="Next ▶")
        self.previous.on_click(lambda _: self.show(self.current - 1))
        self.next.on_click(lambda _: self.show(self.current + 1))
        self.score = widgets.HTML()
        super().__init__()
        self.show(0)
        self._update_score()

    def show(self, index: int) -> None:
        """Show question `index` (0-based; clamped), or every question when not one at a time."""
        self.current = max(0, min(index, len(self.panels) - 1))
        if not self.one_at_a_time:
            self.children = [self.heading, *self.panels, self.score]
            return
        self.previous.disabled = self.current == 0
        self.next.disabled = self.current == len(self.panels) - 1
        self.children = [self.heading, self.panels[self.current],
                         widgets.HBox([self.previous, self.next]), self.score]

    def _update_score(self) -> None:
        checked = [p.result for p in self.panels if p.result is not None and p.result.correct is not None]
        right = sum(r.correct for r in checked)
        self.score.value = (f"<small>{right} right of {len(checked)} checked; "
                            f"{len(self.panels)} questions in all.</small>")


def quiz(lesson: str | int, one_at_a_time: bool = True, quiz_dir: Path | str | None = None) -> QuizWidget:
    """Lesson 00-07. The lesson's quiz as a widget (a VBox): pick an option, press Check, read why.

    `one_at_a_time=False` shows every question at once. Tests drive `.panels[i].choice` and
    `.panels[i].check.click()` and read `.panels[i].feedback.value`.
    """
    return QuizWidget(load_quiz(lesson, quiz_dir), one_at_a_time)
