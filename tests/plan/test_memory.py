"""course_utils.plan.memory: parameter counts, LoRA counts against PEFT, the estimator's terms,
input checks, inference memory and the GPU picker (lesson 02)."""

import json
import math

import pytest

from course_utils.errors import DataFileError
from course_utils.plan import memory as M
from course_utils.plan.memory import MemoryInputError

# --- model configs -----------------------------------------------------------------------------

# Parameter counts the model cards / `num_parameters()` report.
PUBLISHED_PARAMS = {
    "Llama-2-7B": 6_738_415_616,
    "Llama-2-13B": 13_015_864_320,
    "Llama-3.1-8B": 8_030_261_248,
    "Llama-3.1-70B": 70_553_706_496,
    "Mistral-7B-v0.1": 7_241_732_096,
    "Qwen2.5-7B": 7_615_616_512,
    "LLaMA-65B": 65_285_660_672,
    "TinyLlama-1.1B": 1_100_048_384,
}


@pytest.mark.parametrize("name,count", PUBLISHED_PARAMS.items())
def test_param_count_matches_published(name, count):
    assert M.resolve_config(name).param_count() == count


def test_every_committed_config_has_dims_and_a_source():
    required = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "vocab_size", "tie_word_embeddings", "max_position_embeddings", "model_type")
    files = sorted(M.MODEL_CONFIGS_DIR.glob("*.json"))
    names = {json.loads(p.read_text())["_hub_id"] for p in files}
    for hub in ("Qwen/Qwen2.5-7B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3",
                "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-2-7b-hf",
                "meta-llama/Llama-2-13b-hf", "huggyllama/llama-65b", "meta-llama/Llama-3.1-8B",
                "meta-llama/Llama-3.1-70B", "mistralai/Mistral-7B-v0.1", "Qwen/Qwen2.5-7B"):
        assert hub in names
    for p in files:
        d = json.loads(p.read_text())
        assert d["_source"].startswith("https://huggingface.co/") and d["_source"].endswith("config.json"), p.name
        for k in required:
            assert k in d, f"{p.name} lacks {k}"


@pytest.mark.parametrize("alias", ["Llama-2-7B", "llama-2-7b", "meta-llama/Llama-2-7b-hf", "Llama-2-7b-hf"])
def test_aliases_resolve_to_the_same_config(alias):
    assert M.resolve_config(alias).param_count() == PUBLISHED_PARAMS["Llama-2-7B"]


def test_course_preset_names_resolve():
    assert M.resolve_config("qwen2.5-7b").vocab_size == 152064
    assert M.resolve_config("mistral-7b").vocab_size == 32768  # the v0.3 preset, not v0.1
    assert M.resolve_config("llama-3.1-8b").num_key_value_heads == 8


def test_resolve_accepts_path_folder_dict_and_config_object(tmp_path):
    d = json.loads((M.MODEL_CONFIGS_DIR / "meta-llama__Llama-3.1-8B.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(d))
    by_file = M.resolve_config(tmp_path / "config.json")
    by_dir = M.resolve_config(str(tmp_path))
    by_dict = M.resolve_config(d)

    class FakeConfig:  # anything with to_dict(), like transformers.PretrainedConfig
        def to_dict(self):
            return dict(d)

    by_obj = M.resolve_config(FakeConfig())
    assert {c.param_count() for c in (by_file, by_dir, by_dict, by_obj)} == {PUBLISHED_PARAMS["Llama-3.1-8B"]}


def test_unknown_model_lists_the_choices():
    with pytest.raises(MemoryInputError) as e:
        M.resolve_config("Llama-5-1T")
    assert "Llama-2-7B" in str(e.value) and "path" in str(e.value)


def test_config_missing_fields_names_them():
    with pytest.raises(MemoryInputError, match="intermediate_size"):
        M.resolve_config({"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 10})


def test_bad_config_files_name_the_file_line_and_field(tmp_path):
    p = tmp_path / "config.json"
    p.write_text("{\n  not json")
    with pytest.raises(DataFileError, match=r"config.json, line 2: not valid JSON") as e:
        M.resolve_config(p)
    assert (e.value.path, e.value.line) == (str(p), 2)
    p.write_text(json.dumps({"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                             "vocab_size": 10}))
    with pytest.raises(DataFileError, match=r"config.json, field 'intermediate_size': missing") as e:
        M.resolve_config(tmp_path)  # the folder: its config.json is read
    assert e.value.field == "intermediate_size"


# --- LoRA counts ---------------------------------------------------------------------------


def test_lora_count_formula_matches_litgpt_trainable_counts():
    # LitGPT's resource tables: r=8 on q and v -> 4,194,304 (7B) and 6,553,600 (13B) trainable
    assert M.lora_param_count("Llama-2-7B", 8, ["q_proj", "v_proj"]) == 4_194_304
    assert M.lora_param_count("Llama-2-13B", 8, ["q_proj", "v_proj"]) == 6_553_600


def test_lora_count_grouped_query_attention_shrinks_k_and_v():
    cfg = M.resolve_config("Llama-3.1-8B")  # 32 query heads, 8 key/value heads, head_dim 128
    per_layer = 16 * (4096 + 1024)
    assert M.lora_param_count(cfg, 16, ["k_proj"]) == 32 * per_layer
    assert M.lora_param_count(cfg, 16, ["q_proj"]) == 32 * 16 * (4096 + 4096)


def test_lora_unknown_target_lists_valid_names():
    with pytest.raises(MemoryInputError) as e:
        M.lora_param_count("Llama-2-7B", 8, ["q_proj", "lm_head"])
    assert "q_proj" in str(e.value) and "all-linear" in str(e.value)


@pytest.mark.parametrize("r", [0, -4, 2.5 * 0 - 1, None, True])
def test_lora_rank_must_be_positive(r):
    with pytest.raises(MemoryInputError, match="r must be a positive number"):
        M.lora_param_count("Llama-2-7B", r)


def _tiny_configs():
    """Tiny random configs of several architectures (no download): GQA, biases, tied
    embeddings, explicit head_dim, fused projections, q/k norms."""
    from transformers import (GemmaConfig, LlamaConfig, MistralConfig, Phi3Config, Qwen2Config,
                              Qwen3Config)

    common = dict(hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4,
                  vocab_size=256, max_position_embeddings=128)
    return {
        "llama-gqa-untied": LlamaConfig(**common, num_key_value_heads=2, tie_word_embeddings=False),
        "llama-tied": LlamaConfig(**common, num_key_value_heads=4, tie_word_embeddings=True),
        "qwen2-bias": Qwen2Config(**common, num_key_value_heads=2, tie_word_embeddings=False),
        "mistral": MistralConfig(**common, num_key_value_heads=1, tie_word_embeddings=False),
        "gemma-headdim": GemmaConfig(**common, num_key_value_heads=1, head_dim=24),
        "phi3-fused": Phi3Config(**common, num_key_value_heads=2, tie_word_embeddings=False,
                                 pad_token_id=0),
        "qwen3-qknorm": Qwen3Config(**common, num_key_value_heads=2, head_dim=32,
                                    tie_word_embeddings=True),
    }


@pytest.fixture(scope="module")
def tiny_models():
    """Seven randomly initialised models, one per architecture (~5 s to build: slow tests)."""
    pytest.importorskip("peft")
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    return {k: (c, AutoModelForCausalLM.from_config(c)) for k, c in _tiny_configs().items()}


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["llama-gqa-untied", "llama-tied", "qwen2-bias", "mistral",
                                  "gemma-headdim", "phi3-fused", "qwen3-qknorm"])
def test_param_count_matches_real_tiny_models(tiny_models, arch):
    config, model = tiny_models[arch]
    assert M.resolve_config(config).param_count() == model.num_parameters()


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["llama-gqa-untied", "llama-tied", "qwen2-bias", "mistral",
                                  "gemma-headdim", "phi3-fused", "qwen3-qknorm"])
@pytest.mark.parametrize("targets", [["q_proj", "v_proj"], "all-linear"], ids=["q,v", "all-linear"])
@pytest.mark.parametrize("r", [4, 8])
def test_lora_param_count_equals_peft(tiny_models, arch, targets, r):
    import copy

    from peft import LoraConfig, get_peft_model

    config, model = tiny_models[arch]
    if arch == "phi3-fused" and targets != "all-linear":
        targets = ["qkv_proj"]  # Phi-3 fuses q, k and v into one matrix
    peft_model = get_peft_model(copy.deepcopy(model), LoraConfig(r=r, target_modules=targets))
    trainable, _ = peft_model.get_nb_trainable_parameters()
    assert M.lora_param_count(config, r, targets) == trainable


# --- the training estimate --------------------------------------------------------------------


def test_breakdown_sums_to_total_and_terms_are_documented():
    for method in M.METHODS:
        est = M.estimate_training_memory("Llama-3.1-8B", method, 1024, 2)
        assert est.total_bytes == sum(est.breakdown.values())
        for key in est.breakdown:
            label, source = M.TERM_INFO[key]
            assert label and source
        assert str(est).startswith("Llama-3.1-8B:")


def test_methods_are_ordered_full_lora_qlora():
    kw = dict(seq_len=512, batch_size=1)
    full, lora, qlora = (M.estimate_training_memory("Llama-2-7B", m, **kw).total_bytes for m in M.METHODS)
    assert full > lora > qlora


def test_mixed_precision_full_finetuning_is_about_18_bytes_per_param():
    # transformers docs, model training anatomy: 6 (weights) + 4 (grads) + 8 (Adam) bytes/param
    est = M.estimate_training_memory("Llama-2-7B", "full", 1, 1)
    states = (est.breakdown["weights_fp32"] + est.breakdown["weights_16bit_copy"]
              + est.gradient_bytes + est.optimizer_bytes)
    per_param = states / M.resolve_config("Llama-2-7B").param_count()
    assert 17.8 < per_param <= 18.0


def test_pure_bf16_full_finetuning_is_8_bytes_per_param():
    est = M.estimate_training_memory("Llama-2-7B", "full", 1, 1, weights_dtype="bf16")
    per_param = (est.param_bytes + est.gradient_bytes + est.optimizer_bytes) / M.resolve_config("Llama-2-7B").param_count()
    assert abs(per_param - 8) < 0.01
    assert "weights_16bit_copy" not in est.breakdown


def test_nf4_double_quant_is_about_4_127_bits_per_param():
    cfg = M.resolve_config("Llama-2-7B")
    for dq, bits in ((True, 4.127), (False, 4.5)):
        est = M.estimate_training_memory(cfg, "qlora", 1, 1, double_quant=dq)
        got = (est.breakdown["weights_nf4"] + est.breakdown["quant_constants"]) * 8 / cfg.block_linear_params()
        assert abs(got - bits) < 0.005, (dq, got)


def test_nf4_bytes_matches_bitsandbytes_layout():
    # a 256x256 matrix: 32768 packed bytes; 1024 uint8 absmax + 4 fp32 second-level absmax
    # + fp32 offset + 256-entry fp32 map + 16-entry fp32 NF4 table
    assert M.nf4_bytes(256 * 256, True) == (32768, 1024 + 16 + 4 + 1024 + 64)
    assert M.nf4_bytes(256 * 256, False) == (32768, 4096 + 64)


def test_checkpointing_cuts_activations_and_they_grow_with_tokens():
    on = M.estimate_training_memory("Llama-2-7B", "lora", 2048, 4, gradient_checkpointing=True)
    off = M.estimate_training_memory("Llama-2-7B", "lora", 2048, 4, gradient_checkpointing=False)
    assert on.breakdown["activations"] < off.breakdown["activations"] / 4
    longer = M.estimate_training_memory("Llama-2-7B", "lora", 4096, 4, gradient_checkpointing=False)
    assert longer.breakdown["activations"] == 2 * off.breakdown["activations"]
    assert longer.breakdown["logits"] == 2 * off.breakdown["logits"]


def test_checkpointing_keeps_each_layer_input_plus_one_layer():
    cfg = M.resolve_config("Llama-2-7B")
    off = M.estimate_training_memory(cfg, "lora", 1000, 1, gradient_checkpointing=False)
    on = M.estimate_training_memory(cfg, "lora", 1000, 1, gradient_checkpointing=True)
    per_layer_off = (off.breakdown["activations"] - 1000 * 4 * cfg.hidden_size) / cfg.num_hidden_layers
    expected_on = 1000 * cfg.num_hidden_layers * 2 * cfg.hidden_size + per_layer_off + 1000 * 4 * cfg.hidden_size
    assert on.breakdown["activations"] == expected_on


def test_optimizers():
    kw = dict(seq_len=512, batch_size=1)
    adam = M.estimate_training_memory("Llama-2-7B", "full", optimizer="adamw", **kw).optimizer_bytes
    adam8 = M.estimate_training_memory("Llama-2-7B", "full", optimizer="adamw_8bit", **kw).optimizer_bytes
    paged8 = M.estimate_training_memory("Llama-2-7B", "full", optimizer="paged_adamw_8bit", **kw)
    sgd = M.estimate_training_memory("Llama-2-7B", "full", optimizer="sgd", **kw).optimizer_bytes
    n = M.resolve_config("Llama-2-7B").param_count()
    assert abs(adam / n - 8) < 0.01
    assert 2.0 < adam8 / n < 2.1  # 2 bytes + an fp32 absmax per 256 values
    assert paged8.optimizer_bytes == adam8 and paged8.notes
    assert sgd == 0


def test_qlora_keeps_lm_head_and_embeddings_16bit():
    est = M.estimate_training_memory("Llama-3.1-8B", "qlora", 512, 1)
    cfg = M.resolve_config("Llama-3.1-8B")
    assert est.breakdown["weights_bf16"] == 2 * (cfg.embedding_params() + cfg.lm_head_params() + cfg.norm_params())


@pytest.mark.parametrize("kwargs,match", [
    (dict(method="dora"), "method 'dora' is unknown"),
    (dict(optimizer="lion"), "optimizer 'lion' is unknown"),
    (dict(seq_len=0), "seq_len must be a positive number"),
    (dict(batch_size=-1), "batch_size must be a positive number"),
    (dict(compute_dtype="fp8"), "compute_dtype 'fp8' is unknown"),
    (dict(lora_r=0), "lora_r must be a positive number"),
    (dict(target_modules=["attn"]), "unknown target module"),
])
def test_invalid_training_inputs_list_choices(kwargs, match):
    args = dict(config="Llama-2-7B", method="lora", seq_len=512, batch_size=1)
    args.update(kwargs)
    with pytest.raises(MemoryInputError, match=match) as e:
        M.estimate_training_memory(**args)
    if "unknown" in match and "target" not in match:
        assert "use one of" in str(e.value)


# --- inference ---------------------------------------------------------------------------------


def test_kv_cache_uses_kv_heads():
    est = M.estimate_inference_memory("Llama-3.1-8B", "none", batch_size=1, context_len=8192)
    # 2 (K, V) x 32 layers x 8 kv heads x 128 dims x 2 bytes = 128 KiB per token
    assert est.breakdown["kv_cache"] == 8192 * 2 * 32 * 8 * 128 * 2
    mha = M.estimate_inference_memory("Llama-2-7B", "none", batch_size=1, context_len=8192)
    assert mha.breakdown["kv_cache"] == 4 * est.breakdown["kv_cache"]


def test_inference_quantization_and_adapters():
    none = M.estimate_inference_memory("Mistral-7B-v0.1", "none")
    nf4 = M.estimate_inference_memory("Mistral-7B-v0.1", "nf4")
    int8 = M.estimate_inference_memory("Mistral-7B-v0.1", "int8")
    assert none.total_bytes > int8.total_bytes > nf4.total_bytes
    with_ad = M.estimate_inference_memory("Mistral-7B-v0.1", "none", num_adapters=25, lora_r=16)
    assert with_ad.breakdown["lora_adapters"] == 25 * M.lora_param_count("Mistral-7B-v0.1", 16) * 2
    with pytest.raises(MemoryInputError, match="quantization 'gptq' is unknown"):
        M.estimate_inference_memory("Mistral-7B-v0.1", "gptq")
    with pytest.raises(MemoryInputError, match="num_adapters"):
        M.estimate_inference_memory("Mistral-7B-v0.1", num_adapters=-1)


def test_many_adapters_fit_next_to_a_7b_base_on_80gb():
    n = M.max_adapters_that_fit("Mistral-7B-v0.1", 80, context_len=4096, batch_size=8, lora_r=16)
    assert n > 25  # the seed's "25 adapters on one A100 80GB" is far from the limit
    assert M.max_adapters_that_fit("Llama-3.1-70B", 24) == 0


# --- the GPU picker ----------------------------------------------------------------------------


class Opt:
    def __init__(self, gpu, vram, low, high=None):
        self.gpu, self.vram_gb, self.hourly_low, self.hourly_high = gpu, vram, low, high or low
        self.provider = "test"

    def label(self):
        return f"{self.gpu} ({self.vram_gb} GB)"


def test_picker_takes_the_cheapest_that_fits_with_headroom():
    opts = [Opt("H100", 80, 2.0), Opt("A100", 80, 1.5), Opt("4090", 24, 0.4), Opt("L40S", 48, 0.8)]
    pick = M.pick_gpu(int(30e9), opts, headroom=0.10)
    assert pick.best.gpu == "L40S"
    assert [o.gpu for o in pick.fitting] == ["L40S", "A100", "H100"]
    assert [o.gpu for o in pick.too_small] == ["4090"]
    # 24 GB fits a 24 GiB card (25.8 GB) with no headroom, not with 10% (23.2 GB usable)
    assert M.pick_gpu(int(24e9), opts, headroom=0.0).best.gpu == "4090"
    assert M.pick_gpu(int(24e9), opts, headroom=0.10).best.gpu == "L40S"
    assert "cheapest fit" in str(pick)


def test_picker_reports_when_nothing_fits():
    pick = M.pick_gpu(M.estimate_training_memory("LLaMA-65B", "full", 2048, 1), [Opt("A100", 80, 1.5)])
    assert pick.best is None and "no GPU" in str(pick)


@pytest.mark.parametrize("headroom", [-0.1, 1.0, "10%"])
def test_picker_checks_headroom(headroom):
    with pytest.raises(MemoryInputError, match="headroom"):
        M.pick_gpu(1e9, [Opt("A100", 80, 1.5)], headroom=headroom)


def test_picker_reads_the_course_price_table():
    pick = M.pick_gpu(M.estimate_training_memory("qwen2.5-7b", "qlora", 1024, 4))
    assert pick.best is not None and pick.best.vram_gb >= 16
    mid = lambda o: (o.hourly_low + o.hourly_high) / 2  # a spot range is not taken at its best case
    assert all(mid(pick.best) <= mid(o) for o in pick.fitting)
    assert all(o.vram_gb * M.GIB * 0.9 < pick.need_bytes for o in pick.too_small)


# --- measurements file and the object counter ---------------------------------------------


@pytest.mark.parametrize("old,new,field,words", [
    (",GB,", ",MB,", "unit", "must be GB or GiB, got 'MB'"),
    (",1304,1,", ",1304,one,", "batch_size", "'one' is not a whole number"),
    (",false,adamw,", ",maybe,adamw,", "gradient_checkpointing", "'maybe' is not true or false"),
    (",21.30,", ",-21.30,", "measured", "'-21.30' is not a number > 0"),
])
def test_measurement_file_errors_name_the_line_and_field(tmp_path, old, new, field, words):
    src = M.MEASUREMENTS_PATH.read_text().splitlines()
    header, row = src[0], src[1]
    assert old in row
    p = tmp_path / "m.csv"
    p.write_text(header + "\n" + row + "\n" + row.replace(old, new, 1) + "\n")
    with pytest.raises(DataFileError) as e:
        M.load_measurements(p)
    assert (e.value.line, e.value.field) == (3, field)
    assert f"m.csv, line 3 (data row 2), field '{field}': {words}" in str(e.value)


def test_measurement_file_without_the_columns(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("model,method\nx,y\n")
    with pytest.raises(DataFileError, match=r"line 1 \(header\), field 'lora_r': column\(s\) .* missing"):
        M.load_measurements(p)


def test_measured_training_bytes_counts_shared_storage_once():
    class T:
        def __init__(self, n, size=4, ptr=None):
            self.n, self.size, self.ptr, self.grad = n, size, ptr if ptr is not None else id(self), None

        def numel(self):
            return self.n

        def element_size(self):
            return self.size

        def data_ptr(self):
            return self.ptr

    w = T(10)
    tied = T(10, ptr=w.ptr)  # a tied weight: same storage
    w.grad = T(10)

    class Model:
        def parameters(self):
            return iter([w, tied])

    class Opt_:
        state = {w: {"step": T(1), "exp_avg": T(10), "exp_avg_sq": T(10)}}

    got = M.measured_training_bytes(Model(), Opt_())
    assert got == {"params": 40, "quant_constants": 0, "gradients": 40, "optimizer_states": 84}
    assert math.isclose(M.GIB / M.GB, 1.073741824)


# --- claims and the exercise --------------------------------------------------------------------


@pytest.mark.parametrize("low,high,est,verdict", [
    (40, 80, 60, "consistent"), (40, 80, 90, "consistent"), (40, 80, 130, "understated"),
    (100, 120, 60, "overstated"), (16, None, 17.5, "consistent"), (8, None, 5.0, "overstated"),
])
def test_claim_verdict(low, high, est, verdict):
    assert M.claim_verdict(low, high, est) == verdict


def test_fits_verdict():
    assert M.fits_verdict(24, int(20e9)) == "consistent"
    assert M.fits_verdict(24, int(24e9)) == "understated"  # 24 GiB less 10% is 23.2 GB
    assert M.fits_verdict(48, M.estimate_training_memory("LLaMA-65B", "qlora", 512, 1)) == "consistent"
