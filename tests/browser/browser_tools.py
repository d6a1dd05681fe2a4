"""Whether this machine has what the browser tests need, and what to do when it has not.

Needed: Debian's `chromium` (or any Chromium at $COURSE_CHROMIUM) and the Python packages
`playwright` (which drives that Chromium; its own browser downloads are never used) and `voila`
(which serves a notebook as a page). `bash scripts/setup_browser.sh` installs all three.

What this leaves out: installing anything; this module only looks.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

SETUP_COMMAND = "bash scripts/setup_browser.sh"


def chromium_path() -> str | None:
    """$COURSE_CHROMIUM, else /usr/bin/chromium, else `chromium` on PATH (None: not installed)."""
    for candidate in (os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_tools() -> list[str]:
    """What the browser tests need and this machine lacks, in words ([] when nothing)."""
    missing = [f"the Python package {name!r}" for name in ("playwright", "voila")
               if importlib.util.find_spec(name) is None]
    if chromium_path() is None:
        missing.append("Chromium (/usr/bin/chromium, or a path in $COURSE_CHROMIUM)")
    return missing


def require_browser_tools(missing: list[str], environ=os.environ) -> None:
    """Skip the calling test when something is missing, naming the command that installs it;
    fail instead under CI (CI=true), where a missing browser is a broken set-up."""
    if not missing:
        return
    message = f"browser tests need {', '.join(missing)}: install with `{SETUP_COMMAND}`"
    if environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)
