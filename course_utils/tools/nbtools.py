"""Small notebook utilities for the course's own upkeep (not used by the lessons).

    python -m course_utils.tools.nbtools strip notebooks     # remove outputs and execution counts
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def dirty_cells(nb: dict) -> list[int]:
    """Indexes of code cells that carry outputs or an execution count."""
    return [i for i, c in enumerate(nb.get("cells", []))
            if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))]


def strip(path: Path) -> bool:
    """Clear outputs and execution counts in place; return True if the file changed."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    if not dirty_cells(nb):
        return False
    for c in nb["cells"]:
        if c.get("cell_type") == "code":
            c["outputs"] = []
            c["execution_count"] = None
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "strip":
        print("usage: python -m course_utils.tools.nbtools strip FOLDER", file=sys.stderr)
        return 2
    for p in sorted(Path(argv[1]).rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in p.parts and strip(p):
            print(f"stripped {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
