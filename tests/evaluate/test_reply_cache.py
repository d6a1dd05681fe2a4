"""Replies kept on disk (course_utils.evaluate.reply_cache): a second run of the same prompts on
the same model reads them back without generating; the adapter switched off, other adapter
weights or other settings are another model and generate again."""

import pytest

from course_utils.evaluate import reply_cache
from course_utils.evaluate.reply_cache import ReplyCache, model_identity
from course_utils.evaluate.systems import generate

pytestmark = pytest.mark.slow


@pytest.fixture
def lora_model():
    import torch
    from peft import LoraConfig, get_peft_model

    from course_utils.model.load import load_model

    base, tok = load_model("tiny", "none")
    model = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.5)      # a trained-looking adapter: its replies differ from the base's
    return model, tok


def test_a_second_run_reads_the_replies_back(lora_model, tmp_path, monkeypatch):
    model, tok = lora_model
    monkeypatch.setattr(reply_cache, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(ReplyCache.__init__, "__defaults__", (tmp_path,))
    prompts = [[{"role": "user", "content": "Is 157 even or odd?"}],
               [{"role": "user", "content": "What is 2 plus 2?"}]]
    first = generate(model, tok, prompts, max_new_tokens=8, progress=False)
    assert len(list(tmp_path.glob("*.json"))) == 1

    def refuse(*a, **k):
        raise AssertionError("generated again although the replies are cached")

    monkeypatch.setattr(model, "generate", refuse)
    assert generate(model, tok, prompts, max_new_tokens=8, progress=False) == first
    with pytest.raises(AssertionError, match="generated again"):
        generate(model, tok, prompts, max_new_tokens=9, progress=False)   # other settings


def test_the_adapter_off_and_other_weights_are_other_models(lora_model):
    model, _ = lora_model
    on = model_identity(model)
    with model.disable_adapter():
        off = model_identity(model)
    assert on != off and model_identity(model) == on
    name = next(n for n, _ in model.named_parameters() if "lora_B" in n)
    model.get_parameter(name).data.add_(1.0)
    assert model_identity(model) != on
    with model.disable_adapter():
        assert model_identity(model) == off


def test_a_damaged_cache_file_is_started_again(tmp_path):
    (tmp_path / "abc.json").write_text("{not json")
    c = ReplyCache("abc", tmp_path)
    assert c.get("k") is None
    c.put("k", "v"); c.save()
    assert ReplyCache("abc", tmp_path).get("k") == "v"
