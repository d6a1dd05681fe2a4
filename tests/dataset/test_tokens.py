"""Lesson 04: token counts are of the rendered conversation, in the course tokenizer."""

import pytest

from course_utils.dataset.chat_format import render_chatml
from course_utils.dataset.load import load_split
from course_utils.dataset.splits import SPLITS
from course_utils.dataset.tokens import course_token_counter, rendered_length
from course_utils.paths import TINY_MODEL_DIR
from row_builders import row, words

needs_tokenizer = pytest.mark.skipif(not (TINY_MODEL_DIR / "tokenizer.json").is_file(),
                                     reason="the tiny model's tokenizer is not built (data/tiny_model)")


def test_rendered_length_counts_the_chat_template_text():
    r = row("a", "My kettle broke.")
    assert rendered_length(r, words) == words(render_chatml(r["messages"]))
    assert rendered_length(r, words) > words("My kettle broke.")


@needs_tokenizer
def test_every_committed_row_fits_the_course_tokenizer_cap():
    count = course_token_counter()
    lengths = [rendered_length(r, count) for n in SPLITS for r in load_split(n)]
    assert max(lengths) <= 256
    assert 40 <= sorted(lengths)[len(lengths) // 2] <= 160


def test_missing_tokenizer_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m course_utils.model.tiny.build"):
        course_token_counter(tmp_path / "tokenizer.json")
