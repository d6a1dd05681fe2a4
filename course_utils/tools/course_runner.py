"""Run the whole course: execute every notebook in lesson order, save executed copies and HTML.

    python -m course_utils.tools.course_runner [--only 00 03] [--out build] [--timeout 1800]
                                               [--record] [--update-readme]

Used by `make course`. Each notebook runs in a fresh `python3` kernel from the notebooks folder,
as a learner would run it; a failing notebook stops the run with the cell that failed and
leaves the executed copy (with the error) beside the others for reading.

Each notebook's wall-clock minutes are printed for the profile the kernels run under
(`choose_profile`, which honours COURSE_PROFILE). `--record` also writes them to
docs/lesson_minutes.json, with the day, the machine and whether the lesson's runs/ folder
already existed (`course_utils.tools.lesson_minutes`); a plain `make course` writes nothing into
the repository. `--update-readme` rewrites the minute columns of README.md's course map from that
file (after the run; alone, without `--record`, it runs no notebook).

The kernel talks to the runner over local TCP sockets. ipykernel 7 warns at start-up when those
are not encrypted ("Kernel is running over TCP without encryption"; the course pins ipykernel 6,
which does not, but Colab and other images bring their own), so the runner asks
jupyter_client's kernel manager to provision CurveZMQ keys (`transport_encryption="auto"`):
the kernel then encrypts its sockets and has nothing to warn about. "auto" does so whenever the
kernelspec declares Curve support (ipykernel's own `python3` spec does) and falls back to plain
TCP otherwise, so an older kernel still runs.

What this leaves out: running notebooks in parallel, and any kernel other than `python3`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from course_utils.model.profiles import choose_profile
from course_utils.paths import BUILD_DIR, NOTEBOOKS_DIR, REPO_ROOT
from course_utils.tools import lesson_minutes as lm

KERNEL_NAME = "python3"
# jupyter_client's policy for encrypting the kernel's sockets: "auto" provisions CurveZMQ keys
# when the kernelspec supports them (see the module docstring).
TRANSPORT_ENCRYPTION = "auto"


def kernel_config():
    """The traitlets config the runner's kernel manager starts each kernel with."""
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport_encryption = TRANSPORT_ENCRYPTION
    return config


def lesson_notebooks(folder: Path = NOTEBOOKS_DIR, only: list[str] | None = None) -> list[Path]:
    """The lesson notebooks in order (`NN_*.ipynb`), optionally only those whose number is given."""
    books = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        books = [p for p in books if p.name[:2] in set(only)]
        if not books:
            raise SystemExit(f"no notebook in {folder} starts with any of {only}")
    return books


def run_notebook(path: Path, out_dir: Path, timeout: int = 1800) -> tuple[Path, Path, float]:
    """Execute one notebook; write `out_dir/executed/NAME.ipynb` and `out_dir/html/NAME.html`."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL_NAME, config=kernel_config(),
                            resources={"metadata": {"path": str(path.parent)}})
    executed = out_dir / "executed" / path.name
    html = out_dir / "html" / path.with_suffix(".html").name
    executed.parent.mkdir(parents=True, exist_ok=True)
    html.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    error = None
    try:
        client.execute()
    except CellExecutionError as err:
        error = err
    finally:
        nbformat.write(nb, executed)
        body, _ = HTMLExporter().from_notebook_node(nb)
        html.write_text(body, encoding="utf-8")
    if error is not None:
        raise RuntimeError(f"{path.name} failed; its executed copy is {executed}\n{error}")
    return executed, html, time.time() - t0


def _shown(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def _readme(a) -> int:
    changed = lm.update_readme(a.readme, a.minutes_file)
    print(f"{_shown(a.readme)}: course-map minutes {'rewritten' if changed else 'already up to date'}"
          f" from {_shown(a.minutes_file)}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Execute every course notebook in order.")
    p.add_argument("--only", nargs="*", help="lesson numbers to run, e.g. --only 00 03")
    p.add_argument("--out", type=Path, default=BUILD_DIR)
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    p.add_argument("--record", action="store_true",
                   help="write each notebook's minutes to the minutes file (default: print only)")
    p.add_argument("--update-readme", action="store_true",
                   help="rewrite README's course-map minute columns from the minutes file, after "
                        "the run; without --record it runs no notebook")
    p.add_argument("--minutes-file", type=Path, default=lm.MINUTES_FILE,
                   help="default: docs/lesson_minutes.json")
    p.add_argument("--readme", type=Path, default=lm.README, help="default: README.md")
    a = p.parse_args(argv)
    if a.update_readme and not a.record:
        return _readme(a)
    books = lesson_notebooks(only=a.only)
    try:
        profile = choose_profile()
    except ValueError as err:              # a bad COURSE_PROFILE, or smol without its package
        print(f"FAILED: {err}", file=sys.stderr)
        return 2
    gpu = profile.hardware.name if profile.hardware.device == "cuda" else ""
    key, machine = lm.record_key(profile.name, gpu), lm.machine_description(gpu)
    print(f"Running {len(books)} notebook(s) from {NOTEBOOKS_DIR}\n"
          f"Profile {profile.name} on {machine}")
    t_all = time.time()
    for i, nb in enumerate(books, 1):
        print(f"[{i}/{len(books)}] {nb.name} ...", flush=True)
        first_run = not lm.lesson_cached(nb.name, profile.name)
        try:
            executed, html, seconds = run_notebook(nb, a.out, a.timeout)
        except RuntimeError as err:
            print(f"FAILED: {err}", file=sys.stderr)
            return 1
        print(f"      done in {seconds:.0f} s ({seconds / 60:.2f} min"
              f"{'' if first_run else '; its runs/ folder existed before'})", flush=True)
        if a.record:
            lm.record_minutes(key, nb.name, lm.measurement(seconds, machine, first_run),
                              a.minutes_file)
    print(f"\nAll {len(books)} notebooks ran in {time.time() - t_all:.0f} s.")
    print(f"Executed notebooks: {(a.out / 'executed').resolve()}")
    print(f"HTML pages:         {(a.out / 'html').resolve()}")
    if a.record:
        print(f"Minutes recorded under {key!r} in {_shown(a.minutes_file)}")
    return _readme(a) if a.update_readme else 0


if __name__ == "__main__":
    sys.exit(main())
