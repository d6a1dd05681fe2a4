"""The real 7B/8B presets as empty skeletons (meta device, no weights): their modules, their LoRA
parameter counts, and whether the profile's run fits each GPU by lesson 02's estimate.

The skeleton is built from the published config (data/model_configs/, course_utils.model.mini)
with `accelerate.init_empty_weights`, so every module and shape is the real one and nothing is
allocated. The memory table (preset x GPU) is written to build/skeletons.md and printed.
"""

from __future__ import annotations

import pytest

from course_utils import estimate_training_memory, lora_param_count
from course_utils.model.mini import MINI_PRESETS, config_file, real_config
from course_utils.model.profiles import MIN_VRAM_GB_FOR_7B
from course_utils.paths import REPO_ROOT
from course_utils.plan.memory.inputs import DEFAULT_HEADROOM, GB
from course_utils.tools.gpu_fit import GPUS, gpu_fit_rows, gpu_fit_table
from course_utils.training.config import TARGETS, lora_config

pytestmark = pytest.mark.slow

LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
TABLE_FILE = REPO_ROOT / "build" / "skeletons.md"


@pytest.fixture(scope="module", params=MINI_PRESETS)
def skeleton(request):
    from accelerate import init_empty_weights
    from transformers import AutoModelForCausalLM

    with init_empty_weights():
        model = AutoModelForCausalLM.from_config(real_config(request.param))
    return request.param, model


def test_every_lora_target_the_course_names_exists(skeleton):
    preset, model = skeleton
    names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    assert set(LINEAR) <= names and set(TARGETS["qv"]) <= names
    assert model.model.layers[0].self_attn.q_proj.weight.device.type == "meta"
    assert (model.model.layers[0].self_attn.q_proj.bias is not None) == (preset == "qwen2.5-7b")


@pytest.mark.parametrize("targets", list(TARGETS))
def test_trainable_parameters_equal_lesson_02s_count(skeleton, targets):
    import copy

    from accelerate import init_empty_weights
    from peft import get_peft_model

    preset, model = skeleton
    with init_empty_weights():
        peft_model = get_peft_model(copy.deepcopy(model), lora_config(targets, r=16))
    trainable, _ = peft_model.get_nb_trainable_parameters()
    assert trainable == lora_param_count(str(config_file(preset)), 16, TARGETS[targets])


def test_the_profiles_runs_fit_every_course_gpu_with_its_headroom():
    rows = gpu_fit_rows()
    table = gpu_fit_table(rows)
    TABLE_FILE.parent.mkdir(exist_ok=True)
    TABLE_FILE.write_text("QLoRA r=16 all-linear, the profile's run sizes, lesson 02's estimate "
                          "(tensors + 1 GB CUDA overhead)\n\n" + table)
    print("\n" + table)
    assert len(rows) == len(MINI_PRESETS) * len(GPUS)
    assert all(r["fits"] for r in rows), table
    # the profile's threshold: a 14 GB card holds every preset's run with 10% kept free
    assert max(r["est_gb"] for r in rows) <= MIN_VRAM_GB_FOR_7B * (1 - DEFAULT_HEADROOM)


def test_the_table_can_say_no():
    """A run of 4 x 4,096 tokens on the T4 does not fit: the check above can fail."""
    est = estimate_training_memory(str(config_file("qwen2.5-7b")), "qlora", 4096, 4, compute_dtype="fp16")
    assert est.total_bytes / GB > GPUS["T4 15 GB"].vram_gb
