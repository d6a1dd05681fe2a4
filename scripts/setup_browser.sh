#!/usr/bin/env bash
# Installs what the browser tests (tests/browser, pytest -m browser) need, and nothing when it is
# already there, so CI and learners can run it every time:
#
#   Chromium from the system's packages (Debian/Ubuntu: apt-get install chromium), only when
#   /usr/bin/chromium is missing; elsewhere point COURSE_CHROMIUM at a Chromium or Chrome binary;
#   playwright and voila into .venv/, constrained by requirements-lock.txt (never torch).
#
# Playwright drives that system Chromium; `playwright install` (which downloads a browser of its
# own) is never run.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV_PY=.venv/bin/python
CHROMIUM="${COURSE_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  echo "==> Chromium already installed: $CHROMIUM"
elif command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "error: installing Chromium needs root (apt-get install chromium); run as root or install sudo." >&2
      exit 1
    fi
  fi
  echo "==> installing Chromium (apt-get install chromium)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  echo "==> Chromium installed: $(command -v chromium)"
else
  echo "error: no $CHROMIUM and no apt-get here: install Chromium (or Chrome) with your system's" \
       "package manager and set COURSE_CHROMIUM=/path/to/it." >&2
  exit 1
fi

if [ ! -x "$VENV_PY" ]; then
  echo "error: $VENV_PY is missing: run 'make setup' (scripts/setup_env.sh) first." >&2
  exit 1
fi
if "$VENV_PY" -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ("playwright", "voila")))'; then
  echo "==> playwright and voila already installed in .venv"
else
  echo "==> installing playwright and voila into .venv (constrained by requirements-lock.txt)"
  "$VENV_PY" -m pip install -q --disable-pip-version-check playwright voila -c requirements-lock.txt
fi
