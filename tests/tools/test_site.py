"""The course site: the README's course map becomes the index, each lesson a page (with outputs
when an executed copy exists), and every internal link and anchor of the built site resolves."""

import re
import subprocess
import sys

import pytest

from course_utils import DataFileError, REPO_ROOT, lesson_notebooks
from course_utils.tools.lesson_minutes import COLUMNS, MEASURED_LINE
from course_utils.tools.site import (check_site, course_map, external_form_problem, main,
                                     rewrite_links)

pytestmark = pytest.mark.slow

NOTEBOOKS = REPO_ROOT / "notebooks"
OUTPUT = re.compile(r'class="[^"]*\bjp-OutputArea-output\b')  # an output cell (not the CSS)
REPO_URL = "https://github.com/finetune-course/finetune-course"


# --- the course map -----------------------------------------------------------------------------


def test_course_map_has_a_row_per_lesson_notebook():
    cmap = course_map()
    assert [lesson.notebook for lesson in cmap.lessons] == [p.name for p in lesson_notebooks()]
    for lesson in cmap.lessons:
        assert lesson.notebook.startswith(lesson.number + "_")
        assert lesson.cells["what you learn"]
        assert all(lesson.cells[c.header] for c in COLUMNS)        # a minutes column per profile
    assert "wall-clock minutes" in cmap.intro_html
    assert MEASURED_LINE in cmap.outro_html                         # the text under the table


def test_course_map_errors_name_the_file_the_line_and_the_fix(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# A course\n\n## Lessons\n")
    with pytest.raises(DataFileError, match="README.md, field '## Course map': no such section"):
        course_map(readme)
    readme.write_text("## Course map\n\n| # | notebook | minutes |\n|---|---|---|\n"
                      "| 00 | [setup](notebooks/00_setup.ipynb) | 0.2 |\n| 01 | decide | 0.1 |\n")
    with pytest.raises(DataFileError, match=r"line 6, field 'notebook': 'decide' links no "
                                            r"notebook; write \[title\]"):
        course_map(readme)


# --- links ---------------------------------------------------------------------------------------


def test_links_to_lessons_go_to_their_pages_and_other_files_to_the_repository():
    pages = {(NOTEBOOKS / "03_costs.ipynb").resolve(): "03_costs.html",
             (REPO_ROOT / "README.md").resolve(): "index.html"}
    page = ('<a href="03_costs.ipynb#1.-Where-the-numbers-come-from">x</a>'
            "<a href='../README.md'>map</a> <a href=\"../data/prices.csv\">prices</a>"
            '<a href="#Local">here</a> <a href="https://example.org/a.ipynb">out</a>'
            '<img src="missing.png">')
    assert rewrite_links(page, NOTEBOOKS, pages, REPO_URL) == (
        '<a href="03_costs.html#1.-Where-the-numbers-come-from">x</a>'
        "<a href='index.html'>map</a> "
        f'<a href="{REPO_URL}/blob/main/data/prices.csv">prices</a>'
        '<a href="#Local">here</a> <a href="https://example.org/a.ipynb">out</a>'
        '<img src="missing.png">')  # broken in the source: kept, so check_site reports it


def test_check_site_reports_each_kind_of_broken_link(tmp_path):
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "b.html").write_text('<h2 id="there">B</h2><a name="old-anchor"></a>')
    (site / "sub" / "c.html").write_text('<a href="../b.html#old-anchor">back</a>')
    (site / "a.html").write_text(
        '<h1 id="top">A</h1>'
        '<a href="b.html#there">ok</a> <a href="sub/c.html">ok</a> <a href="#top">ok</a>'
        '<a href="b.html#nowhere">1</a> <a href="missing.html">2</a> <a href="#gone">3</a>'
        '<a href="../outside.html">4</a> <img src="pic.png">'
        '<a href="https://example.org/x?y=1#z">ext</a> <script src="//cdn.example.com/a.js"></script>'
        '<a href="http://bad host/">bad</a> <a href="file:///etc/hosts">bad</a>'
        '<img src="data:image/png;base64,AAAA">')
    (tmp_path / "outside.html").write_text("<p>not part of the site</p>")
    report = check_site(site)
    assert report.pages == ["a.html", "b.html", "sub/c.html"]
    assert report.broken == ["a.html: b.html#nowhere (no id 'nowhere')",
                             "a.html: missing.html (no such file)",
                             "a.html: #gone (no id 'gone')",
                             "a.html: ../outside.html (points outside the site)",
                             "a.html: pic.png (no such file)"]
    assert set(report.external) == {"https://example.org/x?y=1#z", "//cdn.example.com/a.js",
                                    "http://bad host/", "file:///etc/hosts"}
    assert report.malformed == ["a.html: http://bad host/ (contains white space)",
                                "a.html: file:///etc/hosts (scheme 'file' is not http(s))"]


@pytest.mark.parametrize("url, problem", [
    ("https://www.together.ai/pricing", None),
    ("mailto:course@example.org", None),
    ("https://localhost/x", "bad host 'localhost'"),
    ("mailto:nobody", "bad e-mail"),
    ("ftp://example.org/f", "scheme 'ftp' is not http(s)"),
])
def test_external_links_are_checked_for_form_only(url, problem):
    assert external_form_problem(url) == problem


# --- the whole site, from the course's own notebooks ----------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The site of the course with lessons 01 and 03 executed (the fast ones), via the CLIs.

    Each lesson runs on its own: the runner stops at a failing notebook but still writes its
    executed copy (with the error), which is all the site needs; whether the lessons pass is
    the notebooks' own test (nbmake), not this one's."""
    build = tmp_path_factory.mktemp("build")
    for number in ("01", "03"):
        run = subprocess.run([sys.executable, "-m", "course_utils.tools.course_runner", "--only",
                              number, "--out", str(build), "--timeout", "120"], cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=300)
        assert list((build / "executed").glob(f"{number}_*.ipynb")), run.stdout + run.stderr
    assert main(["--executed", str(build / "executed"), "--out", str(build / "site")]) == 0
    return build / "site"


def test_every_lesson_has_a_page_and_the_executed_ones_show_outputs(built):
    kit = (REPO_ROOT / "docs" / "instructor.md").exists()
    names = {p.name for p in built.glob("*.html")}
    assert names == ({p.with_suffix(".html").name for p in lesson_notebooks()} | {"index.html"}
                     | ({"instructor.html"} if kit else set()))
    for page in sorted(built.glob("[0-9][0-9]_*.html")):
        text = page.read_text(encoding="utf-8")
        if page.name[:2] in ("01", "03"):
            assert "executed on" in text and OUTPUT.search(text), page.name
        else:
            assert "without its outputs" in text and not OUTPUT.search(text), page.name
        assert 'href="index.html"' in text


def test_index_is_the_course_map_with_links_and_minutes(built):
    index = (built / "index.html").read_text(encoding="utf-8")
    for lesson in course_map().lessons:
        assert f'<a href="{lesson.page}">{lesson.title}</a>' in index
        assert all(f"<td>{lesson.cells[c.header]}</td>" in index for c in COLUMNS)
    assert all(f"<th>{c.header}</th>" in index for c in COLUMNS)
    assert MEASURED_LINE in index
    assert "instructor.html" in index or not (built / "instructor.html").exists()


def test_built_site_has_no_broken_link_and_lists_its_external_links(built):
    report = check_site(built)
    assert report.broken == []
    assert report.malformed == []
    listed = (built / "external_links.txt").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("\t")[0] for line in listed) == sorted(report.external)
    assert any(url.startswith("https://colab.research.google.com/") for url in report.external)
