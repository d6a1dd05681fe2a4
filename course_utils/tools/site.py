"""The course as a static web site: the course map, a page per lesson, the instructor's kit.

    python -m course_utils.tools.site [--executed build/executed] [--out build/site]

Used by `make site`. Each lesson page shows the executed copy that `make course` (the course
runner) leaves in build/executed/, or, when there is none, the notebook itself without outputs
and a banner that says so. The index is the README's course-map section (lesson, what you learn,
the minutes columns of each profile, and the text around the table), each notebook linked to
its page; docs/instructor.md becomes instructor.html when it
exists. Links between the course's files become links between pages (a notebook's link to
`03_costs.ipynb#...` goes to `03_costs.html#...`); links to other files of the repository go to
the repository (pyproject's `Repository` URL). After building, every page is parsed: each link
to a page of the site must name a file that exists and an id that exists in it; the external
links are listed in external_links.txt and checked for form only (no network is used).

Why nbconvert: it is what Jupyter itself uses to turn a notebook into HTML, it is already part
of the course's pinned environment (the course runner uses it), it works offline, and its
"lab" template shows a lesson exactly as JupyterLab does. A small template of our own
(site_templates/, beside this module) adds the navigation and the banner. Jupyter Book 2 (MyST)
builds richer sites, but it is a Node.js program: it would add Node and npm packages to a
Python-only toolchain, to CI and to every learner who wants the site, for features (search,
cross-references, PDF) this course does not use yet.

What this leaves out: executing notebooks (the course runner does that), interactive widgets
(a calculator cannot compute without a kernel), search, and checking that external links
answer (that needs the network). Like every nbconvert "lab" page, a lesson page loads
require.js and MathJax from a CDN, and the widget renderer where a notebook saved widget state:
offline, formulas show as TeX and widgets as their text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from course_utils.errors import DataFileError
from course_utils.paths import BUILD_DIR, NOTEBOOKS_DIR, REPO_ROOT
from course_utils.tools.course_runner import lesson_notebooks
from course_utils.tools.lesson_minutes import MAP_HEADING, map_table

TEMPLATES = Path(__file__).with_name("site_templates")
README = REPO_ROOT / "README.md"
INSTRUCTOR = REPO_ROOT / "docs" / "instructor.md"
PYPROJECT = REPO_ROOT / "pyproject.toml"


# --- the course map: the README's table -------------------------------------------------------


@dataclass
class Lesson:
    """One row of the course map."""

    number: str           # "03"
    notebook: str         # "03_costs.ipynb" (in notebooks/)
    title: str            # the link text of the notebook column, e.g. "costs"
    cells: dict[str, str]  # column header -> the cell as HTML
    executed: bool = False

    @property
    def page(self) -> str:
        return Path(self.notebook).with_suffix(".html").name

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}"


@dataclass
class CourseMap:
    headers: list[str]
    notebook_header: str
    intro_html: str
    lessons: list[Lesson]
    outro_html: str = ""      # the section's text under the table


def _markdown_html(markdown: str, inline: bool = False) -> str:
    """Markdown as Jupyter renders it (headings get the same ids as in a notebook)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    text = markdown2html_mistune(markdown).strip()
    if inline and text.startswith("<p>") and text.endswith("</p>"):
        return text[3:-4]
    return text


def course_map(readme: Path = README) -> CourseMap:
    """The README's "## Course map" section: its text, and its table as one Lesson per row
    (the table is read by `lesson_minutes.map_table`, as the pre-flight reads it)."""
    table = map_table(readme)
    lessons = []
    for line, cells in table.rows:
        link = table.link(line, cells)
        lessons.append(Lesson(cells[0], Path(link.group(2)).name, link.group(1),
                              {h: _markdown_html(c, inline=True)
                               for h, c in zip(table.headers, cells)}))
    notebook_header = next(h for h in table.headers if h.lower() == "notebook")
    intro = "\n".join(table.lines[table.heading:table.header_line - 1])
    outro = "\n".join(table.lines[table.rows[-1][0]:table.end - 1])
    return CourseMap(table.headers, notebook_header, _markdown_html(intro), lessons,
                     _markdown_html(outro) if outro.strip() else "")


# --- links: from the repository's files to the site's pages ------------------------------------

LINK_ATTR = re.compile(r"(\s(?:href|src)=)([\"'])(.*?)\2", re.S)


def repository_url(pyproject: Path = PYPROJECT) -> str:
    """The `Repository` address of pyproject.toml's [project.urls], without a trailing '/'."""
    found = re.search(r'^Repository\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.M)
    if found is None:
        raise DataFileError(pyproject, None, "project.urls.Repository", "missing; the site links "
                            "files that are not pages to the repository: add the address.")
    return found.group(1).rstrip("/")


def rewrite_links(text: str, base: Path, pages: dict[Path, str], repo_url: str) -> str:
    """Relative links of a page written at `base` (the folder of its source in the repository):
    a link to a file that has a page goes to the page, to another existing file of the
    repository goes to the repository; anything else is left as it is (check_site reports it)."""
    root = REPO_ROOT.resolve()

    def fix(match: re.Match) -> str:
        url = html.unescape(match.group(3))
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path or url.startswith("/"):
            return match.group(0)
        target = (base / unquote(parts.path)).resolve()
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        if target in pages:
            new = pages[target] + fragment
        elif target.is_relative_to(root) and target.exists():
            new = f"{repo_url}/blob/main/{target.relative_to(root).as_posix()}{fragment}"
        else:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{html.escape(new)}{match.group(2)}"

    return LINK_ATTR.sub(fix, text)


# --- rendering ----------------------------------------------------------------------------------


def _page_template():
    import jinja2

    # the navigation macros live with the lesson template, which nbconvert loads from its folder
    loader = jinja2.FileSystemLoader([TEMPLATES, TEMPLATES / "course_lesson"])
    env = jinja2.Environment(loader=loader, autoescape=True)
    return env.get_template("page.html.j2"), env.get_template("index_body.html.j2")


def _nav(lessons: list[Lesson], i: int | None, instructor: bool) -> dict:
    def link(j):
        return {"page": lessons[j].page, "label": lessons[j].label} if 0 <= j < len(lessons) else None
    return {"prev": None if i is None else link(i - 1), "next": None if i is None else link(i + 1),
            "instructor": instructor}


def render_lesson(exporter, source: Path, lesson: Lesson, site: dict) -> str:
    """One lesson page: the notebook at `source` through the course_lesson template."""
    import nbformat

    nb = nbformat.read(source, as_version=4)
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": lesson.label}, "site": site})
    return body


@dataclass
class BuiltSite:
    pages: list[Path]
    lessons: list[Lesson]   # each knows whether its page shows an executed copy


def build_site(out: Path = BUILD_DIR / "site", executed: Path = BUILD_DIR / "executed", *,
               notebooks: Path = NOTEBOOKS_DIR, readme: Path = README,
               instructor: Path | None = INSTRUCTOR, repo_url: str | None = None) -> BuiltSite:
    """Write the site into `out` (its old .html pages are removed first).

    Lesson pages use `executed/<notebook>` where it exists, else `notebooks/<notebook>`.
    """
    from nbconvert import HTMLExporter

    cmap = course_map(readme)
    listed = {lesson.notebook for lesson in cmap.lessons}
    unlisted = [p.name for p in lesson_notebooks(notebooks) if p.name not in listed]
    if unlisted:
        raise DataFileError(readme, None, MAP_HEADING, f"no row for {unlisted} (in {notebooks}): "
                            "add one per lesson to the course-map table.")
    repo_url = repo_url or repository_url()
    has_kit = instructor is not None and instructor.exists()
    pages = {(notebooks / lesson.notebook).resolve(): lesson.page for lesson in cmap.lessons}
    pages[readme.resolve()] = "index.html"
    if has_kit:
        pages[instructor.resolve()] = "instructor.html"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.html"):
        old.unlink()
    exporter = HTMLExporter(template_name="course_lesson", extra_template_basedirs=[str(TEMPLATES)])
    written = []
    for i, lesson in enumerate(cmap.lessons):
        source = executed / lesson.notebook
        lesson.executed = source.is_file()
        if not lesson.executed:
            source = notebooks / lesson.notebook
        if not source.is_file():
            raise DataFileError(readme, None, cmap.notebook_header, f"links {lesson.notebook}, "
                                f"which is not in {notebooks}: fix the link or add the notebook.")
        shown = source.relative_to(REPO_ROOT) if source.is_relative_to(REPO_ROOT) else source
        on = dt.date.fromtimestamp(source.stat().st_mtime).isoformat()
        site = {**_nav(cmap.lessons, i, has_kit), "executed": lesson.executed,
                "number": lesson.number, "source": str(shown), "executed_on": on}
        text = render_lesson(exporter, source, lesson, site)
        written.append(_write(out / lesson.page, rewrite_links(text, notebooks, pages, repo_url)))
    page, index_body = _page_template()
    body = index_body.render(title="Fine-tune an LLM for real: the course map",
                             intro=cmap.intro_html, outro=cmap.outro_html, headers=cmap.headers,
                             notebook_header=cmap.notebook_header, lessons=cmap.lessons,
                             instructor=has_kit)
    index = page.render(title="Course map", site=_nav(cmap.lessons, None, has_kit), body=body)
    written.append(_write(out / "index.html", rewrite_links(index, readme.parent, pages, repo_url)))
    if has_kit:
        kit = page.render(title="Instructor's kit", site=_nav(cmap.lessons, None, True),
                          body=_markdown_html(instructor.read_text(encoding="utf-8")))
        written.append(_write(out / "instructor.html",
                              rewrite_links(kit, instructor.parent, pages, repo_url)))
    return BuiltSite(written, cmap.lessons)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- checking the links of the built site ------------------------------------------------------

LINKING = {"a": "href", "area": "href", "link": "href", "img": "src", "script": "src",
           "iframe": "src", "source": "src"}


class _Scan(HTMLParser):
    """The ids (and <a name>s) a page defines and the addresses it links to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.ids.update(v for k, v in a.items() if v and (k == "id" or (tag == "a" and k == "name")))
        if a.get(LINKING.get(tag, "")) is not None:
            self.refs.append(a[LINKING[tag]].strip())


def _scan(page: Path) -> _Scan:
    scan = _Scan()
    scan.feed(page.read_text(encoding="utf-8"))
    return scan


@dataclass
class LinkReport:
    """What `check_site` found: pages (relative paths), broken local links, external links."""

    pages: list[str]
    broken: list[str] = field(default_factory=list)       # "page: href (why)"
    external: dict[str, list[str]] = field(default_factory=dict)  # url -> pages linking it
    malformed: list[str] = field(default_factory=list)    # "page: href (why)"


def external_form_problem(url: str) -> str | None:
    """Why `url` is not a well-formed external address (None: it is). No request is made."""
    parts = urlsplit(url)
    if re.search(r"\s", url):
        return "contains white space"
    if parts.scheme == "mailto":
        return None if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", parts.path) else "bad e-mail"
    if parts.scheme not in ("http", "https", ""):
        return f"scheme {parts.scheme!r} is not http(s)"
    host = parts.hostname or ""
    return None if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", host) else f"bad host {host!r}"


def check_site(site: Path) -> LinkReport:
    """Parse every .html page under `site`; every local link must name an existing file in the
    site and, after '#', an id of that page. External links are collected and checked for form."""
    site = site.resolve()
    scans = {p.resolve(): _scan(p) for p in sorted(site.rglob("*.html"))}
    report = LinkReport([p.relative_to(site).as_posix() for p in scans])
    for page, scan in scans.items():
        name = page.relative_to(site).as_posix()
        for ref in scan.refs:
            parts = urlsplit(ref)
            if parts.scheme in ("data", "blob"):
                continue
            if parts.scheme or parts.netloc:
                report.external.setdefault(ref, []).append(name)
                problem = external_form_problem(ref)
                if problem:
                    report.malformed.append(f"{name}: {ref} ({problem})")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_relative_to(site):
                report.broken.append(f"{name}: {ref} (points outside the site)")
            elif not target.is_file():
                report.broken.append(f"{name}: {ref} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = (scans.get(target) or _scan(target)).ids
                if parts.fragment not in ids and unquote(parts.fragment) not in ids:
                    report.broken.append(f"{name}: {ref} (no id {unquote(parts.fragment)!r})")
    return report


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Build the course site and check its links.")
    p.add_argument("--executed", type=Path, default=BUILD_DIR / "executed",
                   help="folder of executed notebooks (python -m course_utils.tools.course_runner)")
    p.add_argument("--out", type=Path, default=BUILD_DIR / "site")
    a = p.parse_args(argv)
    built = build_site(a.out, a.executed)
    report = check_site(a.out)
    listing = a.out / "external_links.txt"
    listing.write_text("".join(f"{url}\t{' '.join(sorted(set(where)))}\n"
                               for url, where in sorted(report.external.items())), encoding="utf-8")
    done = [lesson.number for lesson in built.lessons if lesson.executed]
    print(f"{len(report.pages)} pages in {a.out} (lessons with outputs: {', '.join(done) or 'none'}); "
          f"{len(report.broken)} broken internal links; {len(report.external)} external links "
          f"({len(report.malformed)} malformed), listed in {listing}")
    for problem in report.broken + report.malformed:
        print(f"  {problem}", file=sys.stderr)
    return 1 if report.broken or report.malformed else 0


if __name__ == "__main__":
    sys.exit(main())
