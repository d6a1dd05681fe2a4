"""An adapter is only accepted on the base it was trained on (course_utils.model.base_check)."""

import json

import pytest
from builders import write_adapter

from course_utils.model import smol
from course_utils.model.base_check import (AdapterBaseMismatch, adapter_base, check_adapter_base,
                                           course_base_name)
from course_utils.paths import TINY_MODEL_DIR

SMOL_CACHE = "/somewhere/else/data/smol_model/cache/smol-0.1.2"


@pytest.fixture
def smol_version(monkeypatch):
    monkeypatch.setattr(smol, "_distribution", lambda name: type("D", (), {"version": "0.1.2"})())


def test_an_adapter_trained_on_tiny_is_refused_by_smol_naming_both_bases(tmp_path, smol_version):
    adapter = write_adapter(tmp_path / "a")
    with pytest.raises(AdapterBaseMismatch) as err:
        check_adapter_base(adapter, "smol")
    msg = str(err.value)
    assert "'tiny'" in msg and "'smol 0.1.2'" in msg and str(TINY_MODEL_DIR) in msg
    assert "--preset smol" in msg


def test_an_adapter_is_accepted_on_its_own_base_wherever_the_checkout_lives(tmp_path, smol_version):
    assert check_adapter_base(write_adapter(tmp_path / "t"), "tiny") == "tiny"
    assert check_adapter_base(write_adapter(tmp_path / "m", base="/other/clone/data/tiny_model"),
                              TINY_MODEL_DIR) == "tiny"
    assert check_adapter_base(write_adapter(tmp_path / "s", base=SMOL_CACHE), "smol") == "smol 0.1.2"


def test_a_smol_adapter_from_another_package_version_is_refused(tmp_path, smol_version):
    adapter = write_adapter(tmp_path / "s", base=SMOL_CACHE.replace("0.1.2", "0.1.1"))
    with pytest.raises(AdapterBaseMismatch, match="'smol 0.1.1'.*'smol 0.1.2'"):
        check_adapter_base(adapter, "smol")


def test_hub_bases_compare_by_id_and_a_smol_adapter_is_refused_by_tiny(tmp_path, smol_version):
    qwen = write_adapter(tmp_path / "q", base="Qwen/Qwen2.5-7B-Instruct")
    assert check_adapter_base(qwen, "qwen/qwen2.5-7b-instruct") == "qwen/qwen2.5-7b-instruct"
    with pytest.raises(AdapterBaseMismatch, match="'smol 0.1.2'.*'tiny'"):
        check_adapter_base(write_adapter(tmp_path / "s", base=SMOL_CACHE), "tiny")
    assert course_base_name("SMOL") == "smol"


def test_a_folder_without_a_usable_adapter_config_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="adapter_config.json"):
        adapter_base(tmp_path)
    (tmp_path / "adapter_config.json").write_text(json.dumps({"r": 8}))
    with pytest.raises(ValueError, match="base_model_name_or_path is empty"):
        adapter_base(tmp_path)


def test_the_server_refuses_a_tiny_adapter_offered_to_smol_naming_both(random_adapters):
    """Lesson 07's engine checks the recorded base before loading anything (no model needed:
    the check runs first, so a stand-in engine with base "smol" is enough)."""
    from course_utils.model.base_check import AdapterBaseMismatch
    from course_utils.serve.engine import MultiAdapterModel

    class Tok:   # what the engine reads of a tokenizer before any adapter loads
        eos_token_id, pad_token_id = 2, 2

    engine = MultiAdapterModel(model=None, tokenizer=Tok(), base_name="smol")
    with pytest.raises(AdapterBaseMismatch, match=r"'tiny'.*'smol"):
        engine.add_adapter("triage", random_adapters["triage"])
