"""Keeping the adapter: the atomic copy to (a stand-in for) Google Drive and the Hub upload
through a fake client. Offline: no Drive, no network."""

from pathlib import Path

import pytest

from builders import write_adapter
from course_utils.training.export import DRIVE_FOLDER, copy_atomic, keep_adapter, push_adapter

TOKEN = "hf_" + "x" * 34


class FakeHub:
    """The three HfApi methods the upload uses, recording their calls."""

    def __init__(self, user="learner"):
        self.user, self.calls = user, []

    def whoami(self):
        self.calls.append(("whoami",))
        return {"name": self.user}

    def create_repo(self, repo_id, private=False, exist_ok=False):
        self.calls.append(("create_repo", repo_id, private, exist_ok))

    def upload_folder(self, folder_path, repo_id, commit_message=""):
        files = sorted(p.name for p in Path(folder_path).iterdir())
        self.calls.append(("upload_folder", repo_id, files))


@pytest.fixture
def adapter(tmp_path):
    return write_adapter(tmp_path / "run" / "adapter", r=8)


def test_copy_lands_whole_and_replaces_an_older_copy(adapter, tmp_path):
    dest = tmp_path / "drive" / "a"
    copy_atomic(adapter, dest)
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in adapter.iterdir())
    (adapter / "adapter_config.json").write_text('{"r": 16}')
    copy_atomic(adapter, dest)
    assert (dest / "adapter_config.json").read_text() == '{"r": 16}'
    assert [p.name for p in dest.parent.iterdir()] == ["a"], "no temporary folder is left"


def test_an_interrupted_copy_leaves_the_old_copy(adapter, tmp_path, monkeypatch):
    dest = copy_atomic(adapter, tmp_path / "drive" / "a")
    before = (dest / "adapter_config.json").read_text()

    def disconnect(*a, **k):
        raise OSError("runtime disconnected")

    monkeypatch.setattr("course_utils.training.export.shutil.copytree", disconnect)
    with pytest.raises(OSError):
        copy_atomic(adapter, dest)
    assert (dest / "adapter_config.json").read_text() == before
    assert [p.name for p in dest.parent.iterdir()] == ["a"]


def test_a_folder_without_an_adapter_is_refused_with_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="adapter_config.json.*run.adapter_dir"):
        copy_atomic(tmp_path, tmp_path / "dest")


def test_on_colab_it_mounts_and_copies_into_the_course_folder(adapter, tmp_path, capsys):
    mounted = []
    done = keep_adapter(adapter, "triage-tiny", colab=True, drive_root=tmp_path / "drive",
                        mount=mounted.append, env={})
    assert mounted == [tmp_path / "drive"]
    assert done == {"drive": str(tmp_path / "drive" / DRIVE_FOLDER / "triage-tiny")}
    assert (Path(done["drive"]) / "adapter_model.safetensors").is_file()
    assert "HF_TOKEN is not set" in capsys.readouterr().out


def test_with_a_token_it_uploads_privately_and_never_prints_the_token(adapter, capsys):
    hub = FakeHub()
    done = keep_adapter(adapter, "triage-tiny", colab=False, env={"HF_TOKEN": TOKEN}, api=hub)
    assert done == {"hub": "learner/triage-tiny"}
    assert hub.calls == [("whoami",), ("create_repo", "learner/triage-tiny", True, True),
                         ("upload_folder", "learner/triage-tiny",
                          sorted(p.name for p in adapter.iterdir()))]
    out = capsys.readouterr().out
    assert "not on Colab" in out and "learner/triage-tiny" in out and TOKEN not in out


def test_nothing_leaves_the_machine_without_a_token_or_when_offline(adapter, capsys):
    hub = FakeHub()
    assert keep_adapter(adapter, "x", colab=False, env={}, api=hub) == {}
    assert keep_adapter(adapter, "x", colab=False, api=hub,
                        env={"HF_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1"}) == {}
    assert hub.calls == []
    assert TOKEN not in capsys.readouterr().out


def test_push_uses_a_given_repo_id(adapter):
    hub = FakeHub()
    assert push_adapter(adapter, "x", token=TOKEN, api=hub, repo_id="org/x") == "org/x"
    assert ("whoami",) not in hub.calls
