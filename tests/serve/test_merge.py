"""Lesson 07's merge and export round-trip: merging into an unquantized base changes nothing;
merging into a 4-bit base rounds the update; an exported merged model keeps its chat template and
EOS (it still stops), and the check catches an export that lost them."""

import json

import pytest

from course_utils.dataset.load import load_split
from course_utils.serve import merge
from course_utils.serve.adapters import random_adapters
from course_utils.serve.engine import torch_threads

pytestmark = pytest.mark.slow   # loads, merges and exports the tiny model several times


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    root = tmp_path_factory.mktemp("merge")
    strong = random_adapters(root / "strong", names=["strong"], r=8, alpha=16)["strong"]
    # a small update, as a trained adapter has: the merged model still answers and stops
    small = random_adapters(root / "small", names=["small"], r=8, alpha=2, seed=3)["small"]
    return strong, small


@pytest.fixture(scope="module")
def prompts():
    return [r["messages"][:-1] for r in load_split("validation")[:3]]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    with torch_threads(1):
        yield


def test_merge_into_unquantized_base_equals_the_adapter_model(adapters, prompts):
    check = merge.merge_roundtrip("tiny", adapters[0], prompts, quantization="none")
    assert check.max_logit_diff < 1e-4 * max(1.0, check.logit_scale), check
    assert check.same_greedy and check.prompts == 3
    assert "identical" in str(check)


def test_merge_into_4bit_base_rounds(adapters, prompts):
    exact = merge.merge_roundtrip("tiny", adapters[0], prompts, quantization="none")
    rounded = merge.merge_roundtrip("tiny", adapters[0], prompts, quantization="nf4")
    assert rounded.max_logit_diff > 100 * max(exact.max_logit_diff, 1e-6), (exact, rounded)
    r = merge.nf4_merge_rounding("tiny", adapters[1])
    assert r["layer"].endswith("q_proj") and r["median_abs_delta"] < r["median_abs_weight"]
    assert r["update_rel_error"] > 0.2          # a small update is mostly rounding error in 4 bits
    assert r["codes_unchanged"] > 0.3           # and many 4-bit codes do not move at all
    assert 0 < r["update_kept"] < 1.5


def test_export_keeps_chat_template_and_eos(adapters, tmp_path):
    out = merge.export_merged("tiny", adapters[1], tmp_path / "merged")
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"} <= \
        {p.name for p in out.iterdir()}
    check = merge.check_export(out, reference="tiny")
    assert check.ok, check
    assert check.stops and 0 < check.new_tokens < 64
    assert str(check).startswith("✓")


def test_export_check_catches_a_lost_template_and_eos(adapters, tmp_path):
    out = merge.export_merged("tiny", adapters[1], tmp_path / "broken")
    (out / "chat_template.jinja").unlink()
    gen = json.loads((out / "generation_config.json").read_text())
    gen["eos_token_id"] = None
    (out / "generation_config.json").write_text(json.dumps(gen))
    check = merge.check_export(out, reference="tiny")
    text = str(check)
    assert not check.ok and not check.stops
    assert "no chat template" in text and "eos_token_id" in text and "did not stop" in text
    with pytest.raises(FileExistsError, match="overwrite=True"):
        merge.export_merged("tiny", adapters[1], out, save_tokenizer=False)
    bare = merge.export_merged("tiny", adapters[1], out, save_tokenizer=False, overwrite=True)
    assert not (bare / "tokenizer.json").exists()          # the old export's files are gone
    assert "no tokenizer" in str(merge.check_export(bare, reference="tiny"))
