"""docs/api.md lists the public API as it is: regenerate it with
`python -m course_utils.tools.apidoc` when a public name changes."""

import pytest

from course_utils.tools import apidoc

pytestmark = pytest.mark.slow   # imports every layer (torch, transformers) to read docstrings


def test_api_doc_is_up_to_date():
    assert apidoc.API_DOC.read_text(encoding="utf-8") == apidoc.render(), (
        "docs/api.md is stale: run `python -m course_utils.tools.apidoc`")


def test_api_doc_names_every_public_name_once():
    import course_utils

    text = apidoc.render()
    for name in course_utils.__all__:
        assert text.count(f"| `{name}` |") == 1, name
