"""Keep a trained adapter when the machine goes away: a copy on Google Drive and the Hub.

A Colab runtime deletes its disk when it disconnects, and a RunPod pod's disk goes with the
pod: an adapter that lives only in ``runs/`` is lost with it. `keep_adapter` is the one call
lesson 05 makes after training:

    on Colab        mount Google Drive and copy the adapter folder to
                    MyDrive/finetune-course/adapters/<name>, atomically: into a hidden temporary
                    folder first, renamed into place once complete, so a disconnect mid-copy
                    leaves the previous copy (or nothing), never half an adapter;
    HF_TOKEN set    upload the folder to a private Hub repository of the token's owner
                    (``<user>/<name>``), with `huggingface_hub.HfApi`; the token is read from
                    the environment (Colab: the key icon, *Secrets*) and never printed.

Everything it touches can be replaced for a test: the Drive folder (`drive_root`), the mount
(`mount`), whether this is Colab (`colab`), the environment (`env`) and the Hub client (`api`),
so the tests run offline against a temporary folder and a fake client.

What this leaves out: downloading an adapter back (``load_adapter`` reads a folder, and
``huggingface_hub.snapshot_download`` fetches a Hub repository into one), model cards, public
repositories (the upload is private; change it on the Hub), and other clouds (S3, GCS).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping

COLAB_MOUNT = Path("/content/drive")
DRIVE_FOLDER = Path("MyDrive") / "finetune-course" / "adapters"


def on_colab() -> bool:
    """Lesson 05. True inside a Google Colab runtime (its `google.colab` package is present)."""
    return "google.colab" in sys.modules or importlib.util.find_spec("google.colab") is not None


def copy_atomic(src: str | Path, dest: str | Path) -> Path:
    """Lesson 05. Copy the folder `src` to `dest` so that `dest` is either the old copy or the
    complete new one, never a partial copy.

    The files go to a hidden sibling folder first; only when every file is written is the old
    `dest` moved aside and the new folder renamed to `dest` (a rename within one folder).
    """
    src, dest = Path(src), Path(dest)
    if not (src / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{src} has no adapter_config.json: pass the folder a finished run "
                                "wrote its adapter to (`run.adapter_dir`)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    partial, old = dest.with_name(f".{dest.name}.partial-{tag}"), dest.with_name(f".{dest.name}.old-{tag}")
    try:
        shutil.copytree(src, partial)
        if dest.exists():
            dest.rename(old)
        partial.rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    return dest


def _mount_drive(mount_point: Path) -> None:
    from google.colab import drive  # only on Colab

    drive.mount(str(mount_point))


def push_adapter(adapter_dir: str | Path, name: str, *, token: str, api: Any = None,
                 repo_id: str | None = None) -> str:
    """Lesson 05. Upload `adapter_dir` to a private Hub repository and return its id.

    repo_id: ``<the token's user>/<name>`` unless given. api: an `huggingface_hub.HfApi` (made
    with `token` when None); tests pass a fake with the same three methods.
    """
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    repo_id = repo_id or f"{api.whoami()['name']}/{name}"
    api.create_repo(repo_id, private=True, exist_ok=True)
    api.upload_folder(folder_path=str(adapter_dir), repo_id=repo_id,
                      commit_message=f"LoRA adapter {name} (course lesson 05)")
    return repo_id


def keep_adapter(adapter_dir: str | Path, name: str, *, colab: bool | None = None,
                 drive_root: str | Path | None = None,
                 mount: Callable[[Path], None] | None = _mount_drive,
                 env: Mapping[str, str] | None = None, api: Any = None,
                 say: Callable[[str], None] = print) -> dict[str, str]:
    """Lesson 05. Save the adapter where it outlives the runtime: Drive on Colab, the Hub when
    HF_TOKEN is set. Returns {"drive": folder, "hub": repo id} for what was done.

    colab: detected when None. drive_root: the mounted Drive (default /content/drive, mounted
    with `mount` first; pass a folder and mount=None to copy elsewhere). env: os.environ when
    None. Says in one line each what it did or why not; the token never appears.
    """
    env = os.environ if env is None else env
    adapter_dir = Path(adapter_dir)
    done: dict[str, str] = {}
    if (on_colab() if colab is None else colab):
        root = COLAB_MOUNT if drive_root is None else Path(drive_root)
        if mount is not None:
            mount(root)
        done["drive"] = str(copy_atomic(adapter_dir, root / DRIVE_FOLDER / name))
        say(f"copied to Google Drive: {done['drive']}")
    else:
        say(f"not on Colab: the adapter stays in {adapter_dir}")
    token = env.get("HF_TOKEN", "")
    if not token:
        say("HF_TOKEN is not set: not uploaded to the Hub (set it to keep a private copy there)")
    elif env.get("HF_HUB_OFFLINE", "0") not in ("", "0"):
        say("HF_HUB_OFFLINE is set: not uploaded to the Hub")
    else:
        done["hub"] = push_adapter(adapter_dir, name, token=token, api=api)
        say(f"uploaded to the Hub (private): https://huggingface.co/{done['hub']}")
    return done
