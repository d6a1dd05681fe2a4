"""Lesson 07's measurements: switch latency, throughput of mixed / single / sequential batches,
memory of one base + adapters against merged copies, and lesson 02's GPU capacity estimate set
beside the seed article's claim."""

import pytest

from course_utils.dataset.load import load_split
from course_utils.model.load import load_model
from course_utils.paths import TINY_MODEL_DIR
from course_utils.plan import memory as M
from course_utils.serve import bench
from course_utils.serve.claim import SEED_CLAIM


@pytest.fixture(scope="module")
def engine(tiny_engine):
    return tiny_engine


@pytest.fixture(scope="module")
def chats():
    return [r["messages"][:-1] for r in load_split("validation")[:6]]


@pytest.mark.slow
def test_switch_latency_and_throughput_are_measured(engine, chats):
    lat = bench.switch_latency(engine, repeats=10)
    assert 0 < lat["set_adapter_ms"] <= lat["set_adapter_p95_ms"] and lat["load_adapter_ms"] > 0
    assert "_latency_probe" not in engine.model.peft_config
    names = ["triage", "moderation", "policy_qa", "tiny"] * 2
    res = bench.compare_throughput(engine, (chats * 2)[:8], names, max_new_tokens=6)
    assert set(res) == {"mixed", "single", "sequential"}
    assert all(r["requests_per_s"] > 0 and r["seconds"] > 0 for r in res.values())
    assert res["mixed"]["requests_per_s"] > res["sequential"]["requests_per_s"]  # batching pays


@pytest.mark.slow
def test_memory_one_base_plus_adapters_against_merged_copies(engine):
    mem = bench.memory_footprint(engine)
    per_adapter = M.lora_param_count(TINY_MODEL_DIR, 8) * 4        # fp32 on CPU: r(d_in+d_out) each
    assert mem["adapter_bytes"] == {n: per_adapter for n in ("triage", "moderation", "policy_qa")}
    assert mem["n"] == 3 and mem["n_merged_models"] == 3 * mem["merged_model_bytes"]
    assert mem["base_bytes"] < mem["merged_model_bytes"]             # the base is 4-bit
    full, _ = load_model("tiny", quantization="none")               # a real unquantized copy
    assert mem["merged_model_bytes"] == sum(p.numel() * p.element_size() for p in full.parameters()) + \
        sum(b.numel() * b.element_size() for b in full.buffers())
    assert mem["one_base_plus_adapters"] < mem["n_merged_models"] / 2


def test_gpu_capacity_uses_the_lesson_02_estimator():
    rows = bench.gpu_adapter_capacity("mistral-7b", gpus_gb=(24, 40, 80), ranks=(8, 16))
    by = {(r["gpu_gb"], r["lora_r"]): r for r in rows}
    assert by[(80, 16)]["adapters_that_fit"] == M.max_adapters_that_fit(
        "mistral-7b", 80, quantization="none", batch_size=8, context_len=4096, lora_r=16)
    assert by[(24, 16)]["adapters_that_fit"] < by[(40, 16)]["adapters_that_fit"] < by[(80, 16)]["adapters_that_fit"]
    assert by[(80, 8)]["adapters_that_fit"] > by[(80, 16)]["adapters_that_fit"]
    assert by[(80, 16)]["adapters_that_fit"] > SEED_CLAIM["adapters"]   # the claim, set beside it
    assert by[(80, 16)]["merged_copies_that_fit"] < 10
