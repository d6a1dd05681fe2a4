"""Lesson 07's engine: routing by adapter name, mixed-adapter batches on one 4-bit base, and the
measurements (switch latency, throughput, memory, GPU capacity)."""

import threading

import pytest
import torch

from course_utils.plan import memory as M
from course_utils.serve import engine as serve
from course_utils.dataset.load import load_split
from course_utils.paths import TINY_MODEL_DIR


@pytest.fixture(scope="module")
def engine(tiny_engine):
    return tiny_engine


@pytest.fixture(scope="module")
def chats():
    rows = load_split("validation")
    return [r["messages"][:-1] for r in rows[:6]]


def test_routing_by_name(engine):
    assert engine.names == ["tiny", "triage", "moderation", "policy_qa"]
    assert engine.route("moderation") == "moderation"
    assert engine.route("tiny") == serve.BASE and engine.route("__base__") == serve.BASE
    with pytest.raises(serve.AdapterNotFoundError, match=r"'Triage' is not served here.*triage"):
        engine.route("Triage")


def test_mixed_batch_equals_each_request_alone(engine, chats):
    names = ["triage", "moderation", "policy_qa", "__base__", "tiny", "moderation"]
    batch = engine.generate(chats, names, max_new_tokens=12)
    alone = [engine.generate([c], [n], max_new_tokens=12)[0] for c, n in zip(chats, names)]
    assert [b.token_ids for b in batch] == [a.token_ids for a in alone]
    assert [b.adapter for b in batch] == names
    same_prompt = engine.generate([chats[0]] * 4, ["triage", "moderation", "policy_qa", "tiny"], max_new_tokens=12)
    assert len({o.text for o in same_prompt}) >= 3, "the adapters should answer differently"


def test_base_rows_equal_the_plain_base_model(engine, chats):
    from course_utils.model.load import load_model

    plain, tok = load_model("tiny")
    enc = tok.apply_chat_template(chats[1], add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        ref = plain.generate(**enc, max_new_tokens=10, do_sample=False)[0, enc["input_ids"].shape[1]:].tolist()
    got = engine.generate([chats[0], chats[1]], ["triage", "__base__"], max_new_tokens=10)[1]
    eos = set(engine.eos_ids)
    assert got.token_ids == [t for t in ref if t not in eos][:len(got.token_ids)] and got.token_ids


def test_each_row_keeps_its_own_limit_and_finish_reason(engine, chats):
    a, b = engine.generate(chats[:2], ["triage", "moderation"], max_new_tokens=[3, 7])
    assert len(a.token_ids) <= 3 and len(b.token_ids) <= 7
    for out, limit in ((a, 3), (b, 7)):
        assert out.finish_reason == ("length" if len(out.token_ids) == limit else "stop")
        assert out.prompt_tokens > 0 and out.completion_tokens >= len(out.token_ids)


def test_prompt_over_the_context_is_refused_with_the_numbers(engine):
    long = "word " * 1200
    with pytest.raises(serve.ContextLengthError, match=r"context is 1024 tokens.*max_tokens=8"):
        engine.generate([long], ["triage"], max_new_tokens=8)
    with pytest.raises(ValueError, match="one adapter per prompt"):
        engine.generate_ids([[1, 2]], ["triage", "moderation"])


def test_names_and_folders_are_checked(engine, tmp_path, random_adapters):
    for bad in ("__base__", "", "has space", "x" * 80, "../up"):
        with pytest.raises(ValueError, match="not usable"):
            serve.check_adapter_name(bad)
    with pytest.raises(FileNotFoundError, match="adapter_config.json"):
        serve.adapter_dir(tmp_path)
    with pytest.raises(ValueError, match="already in use"):
        engine.add_adapter("triage", random_adapters["triage"])


def test_an_adapter_for_another_base_is_refused_cleanly(engine, tmp_path, chats):
    import json

    import numpy as np
    from safetensors.numpy import save_file

    folder = tmp_path / "wide"
    folder.mkdir()
    key = "base_model.model.model.layers.0.self_attn.q_proj"
    save_file({f"{key}.lora_A.weight": np.zeros((8, 512), np.float32),      # the tiny model has 256
               f"{key}.lora_B.weight": np.zeros((512, 8), np.float32)}, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj"], "task_type": "CAUSAL_LM"}))
    before = engine.generate(chats[:1], ["policy_qa"], max_new_tokens=6)[0].text
    with pytest.raises(ValueError, match="does not fit the base 'tiny'"):
        engine.add_adapter("wide", folder)
    assert "wide" not in engine.names and "wide" not in engine.model.peft_config
    assert engine.generate(chats[:1], ["policy_qa"], max_new_tokens=6)[0].text == before


def test_generation_from_two_threads_stays_correct(engine, chats):
    """The engine's lock: two threads asking for different adapters at once each get their own."""
    want = {n: engine.generate([chats[2]], [n], max_new_tokens=8)[0].text for n in ("triage", "policy_qa")}
    got, errors = {}, []

    def ask(name):
        try:
            for _ in range(3):
                got.setdefault(name, set()).add(engine.generate([chats[2]], [name], max_new_tokens=8)[0].text)
        except Exception as e:  # pragma: no cover - surfaced below
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(n,)) for n in want]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert not errors and got == {n: {t} for n, t in want.items()}


def test_switch_latency_and_throughput_are_measured(engine, chats):
    lat = serve.switch_latency(engine, repeats=10)
    assert 0 < lat["set_adapter_ms"] <= lat["set_adapter_p95_ms"] and lat["load_adapter_ms"] > 0
    assert "_latency_probe" not in engine.model.peft_config
    names = ["triage", "moderation", "policy_qa", "tiny"] * 2
    res = serve.compare_throughput(engine, (chats * 2)[:8], names, max_new_tokens=6)
    assert set(res) == {"mixed", "single", "sequential"}
    assert all(r["requests_per_s"] > 0 and r["seconds"] > 0 for r in res.values())
    assert res["mixed"]["requests_per_s"] > res["sequential"]["requests_per_s"]  # batching pays


def test_memory_one_base_plus_adapters_against_merged_copies(engine):
    mem = serve.memory_footprint(engine)
    per_adapter = M.lora_param_count(TINY_MODEL_DIR, 8) * 4        # fp32 on CPU: r(d_in+d_out) each
    assert mem["adapter_bytes"] == {n: per_adapter for n in ("triage", "moderation", "policy_qa")}
    assert mem["n"] == 3 and mem["n_merged_models"] == 3 * mem["merged_model_bytes"]
    assert mem["base_bytes"] < mem["merged_model_bytes"]             # the base is 4-bit
    from course_utils.model.load import load_model

    full, _ = load_model("tiny", quantization="none")               # a real unquantized copy
    assert mem["merged_model_bytes"] == sum(p.numel() * p.element_size() for p in full.parameters()) + \
        sum(b.numel() * b.element_size() for b in full.buffers())
    assert mem["one_base_plus_adapters"] < mem["n_merged_models"] / 2


def test_gpu_capacity_uses_the_lesson_02_estimator():
    rows = serve.gpu_adapter_capacity("mistral-7b", gpus_gb=(24, 40, 80), ranks=(8, 16))
    by = {(r["gpu_gb"], r["lora_r"]): r for r in rows}
    assert by[(80, 16)]["adapters_that_fit"] == M.max_adapters_that_fit(
        "mistral-7b", 80, quantization="none", batch_size=8, context_len=4096, lora_r=16)
    assert by[(24, 16)]["adapters_that_fit"] < by[(40, 16)]["adapters_that_fit"] < by[(80, 16)]["adapters_that_fit"]
    assert by[(80, 8)]["adapters_that_fit"] > by[(80, 16)]["adapters_that_fit"]
    assert by[(80, 16)]["adapters_that_fit"] > serve.SEED_CLAIM["adapters"]   # the claim, set beside it
    assert by[(80, 16)]["merged_copies_that_fit"] < 10
