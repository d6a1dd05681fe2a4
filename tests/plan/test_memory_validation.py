"""Lesson 02's two checks of the estimator.

1. Against published peak-memory measurements (data/memory_measurements.csv): median absolute
   error <= 20% and every row <= 40%. The estimator has no per-row constants; the table of
   errors is printed (pytest -s) and shown in the lesson.
2. Against real objects on CPU: after one optimizer step, the parameter, gradient and
   optimizer-state bytes a model holds equal the estimate, for full, LoRA and QLoRA.
"""

import statistics
from urllib.parse import urlparse

import pytest

from course_utils.plan import memory as M
from course_utils.paths import TINY_MODEL_DIR

MEDIAN_LIMIT = 0.20
ROW_LIMIT = 0.40


@pytest.fixture(scope="module")
def report():
    return M.validate_against_measurements()


def test_measurements_are_enough_and_sourced(report):
    rows = [r.measurement for r in report.rows]
    assert len(rows) >= 8
    publishers = {urlparse(m.source_url).path.split("/")[1] for m in rows}  # GitHub owner
    assert len(publishers) >= 3, publishers
    for m in rows:
        assert m.source_url.startswith("https://") and m.date and m.source_name, m.line
        assert m.method in M.METHODS and m.measured_bytes > 0
    assert {m.method for m in rows} == set(M.METHODS)


def test_estimates_match_published_measurements(report):
    print("\n" + str(report))
    errors = [abs(r.error) for r in report.rows]
    worst = max(report.rows, key=lambda r: abs(r.error))
    assert statistics.median(errors) <= MEDIAN_LIMIT, str(report)
    assert abs(worst.error) <= ROW_LIMIT, (
        f"line {worst.measurement.line} ({worst.measurement.model} {worst.measurement.method}) is off "
        f"by {worst.error:+.1%}\n{report}")


# --- the tiny model on CPU -----------------------------------------------------------------------


def _tiny_base(quantized: bool):
    """The course's tiny model when it is built (data/tiny_model + course_utils.model.load), else a
    random Llama of the same shape saved to a temporary folder and loaded the same way."""
    import tempfile

    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, LlamaConfig

    if (TINY_MODEL_DIR / "config.json").exists() and (TINY_MODEL_DIR / "model.safetensors").exists():
        from course_utils.model.load import load_model

        model, _ = load_model(TINY_MODEL_DIR, quantization="nf4" if quantized else "none")
        return model
    cfg = LlamaConfig(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=2048, max_position_embeddings=512,
                      tie_word_embeddings=False)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(cfg)
    if not quantized:
        return model
    folder = tempfile.mkdtemp(prefix="tiny_llama_")
    model.save_pretrained(folder)
    bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                             bnb_4bit_compute_dtype=torch.float32)
    return AutoModelForCausalLM.from_pretrained(folder, quantization_config=bnb, device_map="cpu")


@pytest.mark.slow
@pytest.mark.parametrize("method,targets", [("full", None), ("lora", ["q_proj", "v_proj"]),
                                            ("lora", "all-linear"), ("qlora", "all-linear")])
def test_tiny_model_state_bytes_equal_the_estimate(method, targets):
    pytest.importorskip("peft")
    import torch
    from peft import LoraConfig, get_peft_model

    base = _tiny_base(quantized=method == "qlora")
    model = base if method == "full" else get_peft_model(base, LoraConfig(r=8, target_modules=targets))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    ids = torch.randint(0, base.config.vocab_size, (2, 24))
    model(input_ids=ids, labels=ids).loss.backward()
    opt.step()

    held = M.measured_training_bytes(model, opt)
    est = M.estimate_training_memory(base.config, method, 24, 2, lora_r=8, target_modules=targets or "all-linear",
                                     compute_dtype="fp32")
    assert held["params"] + held["quant_constants"] == est.param_bytes
    assert held["gradients"] == est.gradient_bytes
    assert held["optimizer_states"] == est.optimizer_bytes
    if method == "qlora":
        assert held["quant_constants"] == est.breakdown["quant_constants"]
