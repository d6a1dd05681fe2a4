"""The browser tests' set-up: a missing tool skips them on a learner's machine, fails them
under CI, and scripts/setup_browser.sh is safe to run again."""

import subprocess

import pytest

from browser_tools import SETUP_COMMAND, chromium_path, require_browser_tools
from course_utils import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MISSING = ["Chromium (/usr/bin/chromium, or a path in $COURSE_CHROMIUM)"]


def test_a_missing_browser_skips_with_the_install_command():
    with pytest.raises(pytest.skip.Exception, match=f"install with `{SETUP_COMMAND}`"):
        require_browser_tools(MISSING, environ={})


def test_a_missing_browser_fails_under_ci():
    with pytest.raises(pytest.fail.Exception, match="CI=true and browser tests need Chromium"):
        require_browser_tools(MISSING, environ={"CI": "true"})


def test_nothing_missing_neither_skips_nor_fails():
    require_browser_tools([], environ={"CI": "true"})


def test_setup_script_does_nothing_when_everything_is_there():
    if chromium_path() != "/usr/bin/chromium":
        pytest.skip("needs /usr/bin/chromium (the script would install it)")
    done = subprocess.run(["bash", "scripts/setup_browser.sh"], cwd=REPO_ROOT, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "already installed: /usr/bin/chromium" in done.stdout
    assert "installing" not in done.stdout
