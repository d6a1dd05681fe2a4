"""How long each lesson takes, per profile: the measured-minutes file and README's course map.

    docs/lesson_minutes.json   {key: {notebook: {"minutes", "measured", "machine", "first_run"}}}

The course runner (`python -m course_utils.tools.course_runner --record`) adds one entry per
notebook it ran: its wall-clock minutes, the day, the machine (GPU, CPU cores, platform) and
whether it was a first run (no `runs/` folder of that lesson and profile existed before it, so
nothing was reused). The record key is the profile's name on a CPU ("tiny", "smol") and
"<profile> on <GPU name>" on a CUDA GPU, so a T4's and an A100's minutes of one 7B profile are
kept apart. The file is written atomically (a temporary file beside it, then a rename).

`update_readme` (the runner's `--update-readme`) rewrites the minute columns of README.md's
course map (`COLUMNS`) from that file, and the "Measured ..." line under the table: a cell is a
measurement or "not measured", never typed by hand. `map_table` reads the course map's table
for the pre-flight and the site; `column_for` says which column holds a profile's minutes.

What this leaves out: averaging repeated runs (a notebook's latest run replaces the earlier
one), estimates of minutes nobody measured (no estimate is written into the map), and notebooks
that have no row in the course map (their entries are kept in the file, not shown).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course_utils.errors import DataFileError
from course_utils.files import parse_json, read_text
from course_utils.model.presets import DEFAULT_GPU_PRESET
from course_utils.paths import REPO_ROOT, RUNS_DIR

README = REPO_ROOT / "README.md"
MINUTES_FILE = REPO_ROOT / "docs" / "lesson_minutes.json"
MAP_HEADING = "## Course map"
NOT_MEASURED = "not measured"
REUSED = "runs/ reused"               # marks a cell measured while the lesson's runs/ existed
MEASURED_LINE = "Measured ("          # how the generated line under the table starts
# runs/<name>_<profile> folders a lesson trains that are not named after it: the course adapter
# and lesson 05's arms (course_utils.evaluate.course_run), runs/course_<profile>. Lessons 06 and 07
# reuse that adapter by design, so in a course run in order they still run for the first time:
# only their own folders (runs/06_<profile>, ...) say they were run before.
SHARED_RUNS = {"course": ("05",)}
ENTRY_FIELDS = {"minutes": (int, float), "measured": str, "machine": str, "first_run": bool}
NOTEBOOK_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+\.ipynb)\)")


@dataclass(frozen=True)
class MinuteColumn:
    """A minutes column of the course map: the profile it measures, on the CPU or on a GPU."""

    header: str
    profile: str
    gpu: str = ""          # "" for the CPU; else a part of the GPU's name ("T4", "A100")
    estimates: str = ""    # a key of GPU_ESTIMATE_MINUTES: what an unmeasured cell shows instead

    def holds(self, key: str) -> bool:
        """Whether the record key `key` (see `record_key`) belongs in this column."""
        if not self.gpu:
            return key == self.profile
        prefix = f"{self.profile} on "
        return key.startswith(prefix) and self.gpu in key[len(prefix):]


# (low, high) minutes of the lessons that load the 7B. NOT MEASURED: estimated from the run sizes
# and QLoRA throughputs near data/throughput.csv (A100 ~3,000 tokens/s, a T4 about a fifth), plus
# a first ~15 GB download; docs/instructor.md derives them. A GPU column shows them, marked as
# estimates, until a run on that GPU measures the lesson.
GPU_ESTIMATE_MINUTES = {
    "fp16 (T4 class)": {"00": (4, 8), "05": (15, 25), "06": (40, 70), "07": (15, 25)},
    "bf16 (A100 / L4 / H100 class)": {"00": (3, 6), "05": (5, 10), "06": (15, 25), "07": (5, 10)},
}
ESTIMATE = "estimate"

COLUMNS = (MinuteColumn("tiny CPU min", "tiny"), MinuteColumn("smol CPU min", "smol"),
           MinuteColumn("T4 min (7B)", DEFAULT_GPU_PRESET, "T4", "fp16 (T4 class)"),
           MinuteColumn("A100 min (7B)", DEFAULT_GPU_PRESET, "A100", "bf16 (A100 / L4 / H100 class)"))
FALLBACK = COLUMNS[0]      # the column the pre-flight reads when a profile's own is unmeasured


def record_key(profile: str, gpu: str = "") -> str:
    """The key a run is recorded under: the profile, and the GPU's name when it ran on one."""
    return f"{profile} on {gpu}" if gpu else profile


def column_for(profile: str, gpu: str = "") -> MinuteColumn | None:
    """The column of `profile`'s minutes on a machine whose GPU is named `gpu` ("" for none):
    a GPU column whose name part is in `gpu` first, else the profile's CPU column, else None."""
    for c in sorted(COLUMNS, key=lambda c: not c.gpu):
        if c.profile == profile and (not c.gpu or (gpu and c.gpu in gpu)):
            return c
    return None


def machine_description(gpu: str = "") -> str:
    """The machine a run was measured on: "2 CPU cores (x86_64 Linux)", after the GPU if any."""
    cpu = f"{os.cpu_count() or 1} CPU cores ({platform.machine()} {platform.system()})"
    return f"{gpu} GPU, {cpu}" if gpu else cpu


def lesson_cached(notebook: str, profile: str, runs: Path | None = None) -> bool:
    """Whether a runs/ folder of this notebook's lesson and `profile` exists: runs/NN_<profile>,
    runs/NN_<name>/<profile>, or a shared runs/<name>_<profile> that serves the lesson
    (`SHARED_RUNS`)."""
    runs = RUNS_DIR if runs is None else Path(runs)
    lesson = notebook[:2]
    shared = [name for name, lessons in SHARED_RUNS.items() if lesson in lessons]
    return any((runs / f"{name}_{profile}").is_dir() for name in [lesson, *shared]) or any(
        p.is_dir() for p in runs.glob(f"{lesson}_*/{profile}"))


def measurement(seconds: float, machine: str, first_run: bool, day: dt.date | None = None) -> dict:
    """One entry of the minutes file for a run of `seconds`."""
    return {"minutes": round(seconds / 60, 2), "measured": (day or dt.date.today()).isoformat(),
            "machine": machine, "first_run": bool(first_run)}


# --- the minutes file ---------------------------------------------------------------------------

def load_minutes(path: Path | str = MINUTES_FILE) -> dict:
    """The minutes file as {record key: {notebook: entry}}; {} when it does not exist yet."""
    path = Path(path)
    if not path.exists():
        return {}
    data = parse_json(read_text(path), path)
    if not isinstance(data, dict):
        raise DataFileError(path, None, None, "expected an object {profile: {notebook: entry}}.")
    for key, books in data.items():
        if not isinstance(books, dict):
            raise DataFileError(path, None, key, "expected an object {notebook: entry}.")
        for book, entry in books.items():
            if not isinstance(entry, dict):
                raise DataFileError(path, None, f"{key}.{book}", "expected an object.")
            for name, kind in ENTRY_FIELDS.items():
                value = entry.get(name)
                if not isinstance(value, kind) or (kind != bool and isinstance(value, bool)):
                    raise DataFileError(path, None, f"{key}.{book}.{name}", f"{value!r} is not "
                                        f"valid; every entry holds {list(ENTRY_FIELDS)}. Rerun "
                                        "the course runner with --record to rewrite it.")
    return data


def write_atomic(path: Path | str, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename, so a
    reader sees the old file or the new one, never half of one. The file keeps its permissions."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record_minutes(key: str, notebook: str, entry: dict, path: Path | str = MINUTES_FILE) -> dict:
    """Add (or replace) one notebook's entry under `key` and rewrite the file; returns its data."""
    data = load_minutes(path)
    data.setdefault(key, {})[notebook] = entry
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return data


# --- the course map's table ---------------------------------------------------------------------

def cells_of(line: str) -> list[str]:
    """The cells of a markdown table line (an escaped pipe `\\|` stays inside its cell)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


@dataclass
class MapTable:
    """The table of README's course map; line numbers count from 1, like an editor's."""

    path: Path
    lines: list[str]                      # the whole file
    heading: int                          # line of "## Course map"
    headers: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]     # (line, cells) per lesson
    end: int                              # the section's end (line number of the next "## ")

    def column(self, header: str) -> int:
        """The index of `header`, or a DataFileError that names the README and the column."""
        if header not in self.headers:
            raise DataFileError(self.path, self.header_line, header, "no such column in the "
                                f"course-map table (it has {self.headers}); add it, with a cell "
                                f"per lesson reading '{NOT_MEASURED}', and fill it with "
                                "`python -m course_utils.tools.course_runner --update-readme`.")
        return self.headers.index(header)

    def link(self, line: int, cells: list[str]) -> re.Match:
        """The notebook link of a row: group 1 its title ("costs"), group 2 its path."""
        header = next((h for h in self.headers if h.lower() == "notebook"), None)
        if header is None:
            raise DataFileError(self.path, self.header_line, "notebook", f"no such column in "
                                f"{self.headers}; add one whose cells link the notebooks: "
                                "[costs](notebooks/03_costs.ipynb).")
        cell = cells[self.headers.index(header)]
        found = NOTEBOOK_LINK.search(cell)
        if found is None:
            raise DataFileError(self.path, line, header, f"{cell!r} links no notebook; write "
                                "[title](notebooks/NN_name.ipynb).")
        return found

    def notebook(self, line: int, cells: list[str]) -> str:
        """The notebook file a row links (03_costs.ipynb)."""
        return Path(self.link(line, cells).group(2)).name


def map_table(readme: Path | str = README) -> MapTable:
    """Read the table of the "## Course map" section of `readme` (errors name line and fix)."""
    readme = Path(readme)
    lines = read_text(readme).splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == MAP_HEADING), None)
    if start is None:
        raise DataFileError(readme, None, MAP_HEADING, "no such section; the course map is read "
                            "from its table: put the course-map table back under it.")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    first = next((i for i in range(start + 1, end) if lines[i].lstrip().startswith("|")), end)
    rows = []
    for i in range(first, end):
        if not lines[i].lstrip().startswith("|"):
            break
        rows.append((i + 1, lines[i]))
    if len(rows) < 3 or not re.fullmatch(r"[\s|:-]+", rows[1][1]):
        raise DataFileError(readme, start + 1, MAP_HEADING, "expected a markdown table (header, "
                            "|---| line, one row per lesson) in this section.")
    headers = cells_of(rows[0][1])
    lessons = []
    for number, line in rows[2:]:
        cells = cells_of(line)
        if len(cells) != len(headers):
            raise DataFileError(readme, number, MAP_HEADING, f"{len(cells)} cells in a table of "
                                f"{len(headers)} columns.")
        lessons.append((number, cells))
    return MapTable(readme, lines, start + 1, headers, rows[0][0], lessons, end + 1)


def minutes_in(table: MapTable, line: int, header: str, cell: str) -> float | None:
    """The minutes a cell holds ("1.5", "1.5 (runs/ reused)"), None for "not measured"."""
    if cell == NOT_MEASURED or re.fullmatch(rf"\d+-\d+ \({ESTIMATE}\)", cell):
        return None
    found = re.fullmatch(r"(\d+(?:\.\d+)?)(?: \(.*\))?", cell)
    if found is None:
        raise DataFileError(table.path, line, header, f"{cell!r} is neither minutes nor "
                            f"'{NOT_MEASURED}'; rewrite the column with `python -m "
                            "course_utils.tools.course_runner --update-readme`.")
    return float(found.group(1))


# --- README from the minutes file ---------------------------------------------------------------

def _matching(data: dict, column: MinuteColumn, notebook: str) -> dict | None:
    found = [books[notebook] for key, books in data.items()
             if column.holds(key) and notebook in books]
    return max(found, key=lambda e: e["measured"]) if found else None


def minutes_text(minutes: float) -> str:
    """Minutes as the course map writes them: 1.5, 0.47 (two decimals below a minute)."""
    return f"{minutes:.1f}" if minutes >= 1 else f"{minutes:.2f}"


def cell_text(data: dict, column: MinuteColumn, notebook: str) -> str:
    """The course-map cell of `notebook` in `column`: the latest measurement, or "not measured"."""
    entry = _matching(data, column, notebook)
    if entry is None:
        guess = GPU_ESTIMATE_MINUTES.get(column.estimates, {}).get(notebook[:2])
        return f"{guess[0]}-{guess[1]} ({ESTIMATE})" if guess else NOT_MEASURED
    text = minutes_text(entry["minutes"])
    return text if entry["first_run"] else f"{text} ({REUSED})"


def measured_line(data: dict, notebooks: list[str]) -> str:
    """The line under the table: per column, the machines, the days and how many lessons."""
    parts = []
    for c in COLUMNS:
        entries = [e for e in (_matching(data, c, nb) for nb in notebooks) if e is not None]
        if entries:
            days = sorted({e["measured"] for e in entries})
            span = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
            machines = "; ".join(sorted({e["machine"] for e in entries}))
            parts.append(f"`{c.header}` on {machines}, {span}, {len(entries)} of "
                         f"{len(notebooks)} lessons")
    return (f"{MEASURED_LINE}`docs/lesson_minutes.json`, written by the course runner): "
            + ("; ".join(parts) if parts else "no lesson yet") + ".")


def course_map_text(table: MapTable, data: dict) -> str:
    """The README's text with the minute columns and the measured line computed from `data`."""
    lines = list(table.lines)
    index = {c.header: table.column(c.header) for c in COLUMNS}
    notebooks = []
    for line, row in table.rows:
        cells = list(row)
        notebook = table.notebook(line, cells)
        notebooks.append(notebook)
        for c in COLUMNS:
            cells[index[c.header]] = cell_text(data, c, notebook)
        lines[line - 1] = "| " + " | ".join(cells) + " |"
    after = table.rows[-1][0]                       # index of the line after the table
    summary = measured_line(data, notebooks)
    if (after + 1 < len(lines) and not lines[after].strip()
            and lines[after + 1].startswith(MEASURED_LINE)):
        lines[after + 1] = summary
    else:
        lines[after:after] = ["", summary]
    return "\n".join(lines) + "\n"


def update_readme(readme: Path | str = README, minutes_file: Path | str = MINUTES_FILE) -> bool:
    """Rewrite the course map's minute columns of `readme` from `minutes_file` (atomically);
    True when the README changed."""
    table = map_table(readme)
    text = course_map_text(table, load_minutes(minutes_file))
    if text == "\n".join(table.lines) + "\n":
        return False
    write_atomic(readme, text)
    return True
