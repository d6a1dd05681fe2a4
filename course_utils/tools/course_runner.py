"""Run the whole course: execute every notebook in lesson order, save executed copies and HTML.

    python -m course_utils.tools.course_runner [--only 00 03] [--out build] [--timeout 1800]

Used by `make course`. Each notebook runs in a fresh `python3` kernel from the notebooks folder,
as a learner would run it; a failing notebook stops the run with the cell that failed and
leaves the executed copy (with the error) beside the others for reading.

The kernel talks to the runner over local TCP sockets. ipykernel warns at start-up when those
are not encrypted ("Kernel is running over TCP without encryption"), so the runner asks
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

from course_utils.paths import BUILD_DIR, NOTEBOOKS_DIR

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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Execute every course notebook in order.")
    p.add_argument("--only", nargs="*", help="lesson numbers to run, e.g. --only 00 03")
    p.add_argument("--out", type=Path, default=BUILD_DIR)
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    a = p.parse_args(argv)
    books = lesson_notebooks(only=a.only)
    print(f"Running {len(books)} notebook(s) from {NOTEBOOKS_DIR}")
    t_all = time.time()
    for i, nb in enumerate(books, 1):
        print(f"[{i}/{len(books)}] {nb.name} ...", flush=True)
        try:
            executed, html, seconds = run_notebook(nb, a.out, a.timeout)
        except RuntimeError as err:
            print(f"FAILED: {err}", file=sys.stderr)
            return 1
        print(f"      done in {seconds:.0f} s")
    print(f"\nAll {len(books)} notebooks ran in {time.time() - t_all:.0f} s.")
    print(f"Executed notebooks: {(a.out / 'executed').resolve()}")
    print(f"HTML pages:         {(a.out / 'html').resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
