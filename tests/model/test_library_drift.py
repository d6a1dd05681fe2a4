"""The registry of library calls (course_utils.model.stack): the installed transformers, peft,
trl, bitsandbytes and accelerate accept every keyword the course passes them, a renamed keyword
fails with one line that names it, the registry lists exactly what the builders pass, and the call
sites pass nothing past it.

The tests that import the libraries (about 10-20 s on 2 cores) are marked slow; the rest run on
tqdm (a pinned, light package) and on the registry alone.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
import types
from importlib import metadata

import pytest

from course_utils.model.profiles import HardwareFacts, choose_profile
from course_utils.model.stack import (accelerate_args, bitsandbytes_args, peft_args, transformers_args,
                                      trl_args)
from course_utils.model.stack.call import LibraryCall
from course_utils.model.stack.drift import REGISTRY, drift_problems
from course_utils.paths import PACKAGE_DIR
from course_utils.sysinfo import pinned_versions


def versions(library: str) -> str:
    return f"(installed: {metadata.version(library)}; known good: {pinned_versions()[library]})"


def renamed(call: LibraryCall, old: str, new: str) -> LibraryCall:
    """A copy of a registry entry with one keyword renamed, as a library upgrade would need."""
    assert old in call.keywords, f"{old} is not a keyword of {call.target}"
    return dataclasses.replace(call, keywords=tuple(new if k == old else k for k in call.keywords))


# ----------------------------------------------------------------------------------------------
# The messages (on tqdm: pinned in requirements.txt, imported in a blink)


def test_a_keyword_the_library_does_not_take_gets_one_line_with_both_versions():
    call = LibraryCall("tqdm.tqdm", ("desc", "totl"))
    assert drift_problems([call]) == [
        f"course_utils passes totl to tqdm.tqdm, which this version no longer accepts {versions('tqdm')}"]


def test_the_versions_can_be_given_and_a_missing_callable_or_attribute_is_named():
    calls = [LibraryCall("tqdm.tqdm_gone", ("desc",)), LibraryCall("tqdm.tqdm", attributes=("update", "updaet"))]
    assert drift_problems(calls, installed={"tqdm": "9.0.0"}, known_good={"tqdm": "4.70.1"}) == [
        "course_utils calls tqdm.tqdm_gone, which this version no longer has "
        "(installed: 9.0.0; known good: 4.70.1)",
        "course_utils uses updaet of tqdm.tqdm, which this version no longer has "
        "(installed: 9.0.0; known good: 4.70.1)"]


def test_a_keyword_the_registry_does_not_list_is_refused_at_the_call_site():
    with pytest.raises(TypeError, match=r"lora_alfa to peft\.LoraConfig.*course_utils/model/stack/"):
        peft_args.LORA_CONFIG.kwargs({"r": 8, "lora_alfa": 16})


# ----------------------------------------------------------------------------------------------
# The registry lists exactly what the builders pass


def _profiles():
    """The CPU profile and the three GPU ones (their settings differ: fp16, bf16, paged AdamW)."""
    cpu = choose_profile(HardwareFacts(), env={"COURSE_PROFILE": "tiny"})
    gpus = [choose_profile(HardwareFacts(device="cuda", name=name, vram_gb=vram, bf16=bf16,
                                         capability=cap, gpu_count=1), env={})
            for name, vram, bf16, cap in (("Tesla T4", 15.8, False, (7, 5)),
                                          ("NVIDIA A100-SXM4-80GB", 85.1, True, (8, 0)),
                                          ("NVIDIA H100 80GB HBM3", 85.0, True, (9, 0)))]
    return [cpu, *gpus]


@pytest.fixture
def fake_peft_and_trl(monkeypatch):
    """peft.LoraConfig and trl.SFTConfig that return their keywords (no torch, no seconds)."""
    for name, cls in (("peft", "LoraConfig"), ("trl", "SFTConfig")):
        module = types.ModuleType(name)
        setattr(module, cls, lambda **kwargs: kwargs)
        monkeypatch.setitem(sys.modules, name, module)


def passed_keywords(tmp_path) -> dict[str, set[str]]:
    """{target: every keyword some builder passes it}, over the profiles and options that change them."""
    from course_utils.training import config

    from course_utils.model.tiny.build import ARCH

    T = transformers_args
    samples = {
        T.MODEL_FROM_PRETRAINED: [T.model_kwargs("cpu", quantization_config=object()),
                                  T.model_kwargs("cpu", dtype="float32")],
        T.TOKENIZER_FROM_PRETRAINED: [T.tokenizer_kwargs()],
        T.GENERATE: [T.greedy_kwargs(8, 0), T.greedy_kwargs(8, 0, eos_token_id=[1, 0]), T.length_kwargs(8),
                     T.prompt_kwargs([[1]], [[1]]),
                     T.decoding_kwargs(8, min_new_tokens=2, logits_processor=[], stopping_criteria=[])],
        T.CHAT_TEMPLATE: [T.chat_prompt_kwargs(o) for o in T.CHAT_OUTPUTS],
        T.ENCODE: [T.encode_kwargs(), T.encode_kwargs(padded_batch=True),
                   T.encode_kwargs(split_special_tokens=True)],
        T.DECODE: [T.decode_kwargs(), T.decode_kwargs(keep_special_tokens=True)],
        T.TRAIN: [T.train_kwargs(None), T.train_kwargs(tmp_path)],
        T.ROTATE: [T.rotate_kwargs(tmp_path, 2, None)],
        T.LLAMA_CONFIG: [T.llama_config_kwargs(ARCH, bos_token_id=None, eos_token_id=2, pad_token_id=0)],
        T.GENERATION_CONFIG: [T.generation_config_kwargs([2, 0], 0, 48)],
        bitsandbytes_args.BNB_CONFIG: [bitsandbytes_args.nf4_kwargs("float32")],
        peft_args.LORA_CONFIG: [*(config.lora_config(t) for t in config.TARGETS),
                                peft_args.random_lora_kwargs(8, 16, "all-linear")],
        peft_args.ADAPTER_FROM_PRETRAINED: [peft_args.adapter_kwargs("triage")],
        peft_args.LOAD_ADAPTER: [peft_args.load_adapter_kwargs("triage")],
        peft_args.MIXED_BATCH: [peft_args.mixed_batch_kwargs(["triage", "__base__"])],
        trl_args.SFT_CONFIG: [config.sft_config(p, tmp_path) for p in _profiles()],
        trl_args.SFT_TRAINER: [trl_args.trainer_kwargs(None, None, None, [], [], [])],
    }
    return {call.target: set().union(*samples[call]) for call in samples}


def test_the_registry_lists_exactly_the_keywords_the_builders_pass(tmp_path, fake_peft_and_trl):
    passed = passed_keywords(tmp_path)
    with_keywords = [c for c in REGISTRY if c.keywords]
    assert sorted(passed) == sorted(c.target for c in with_keywords), "a registry entry without a builder here"
    for call in with_keywords:
        assert passed[call.target] == set(call.keywords), call.target


def test_builders_keep_the_values_the_call_sites_passed():
    T = transformers_args
    assert T.model_kwargs("cpu", dtype="float32") == dict(
        trust_remote_code=False, use_safetensors=True, device_map="cpu", dtype="float32")
    assert T.greedy_kwargs(48, 0) == dict(max_new_tokens=48, do_sample=False, pad_token_id=0)
    assert T.chat_prompt_kwargs("text") == dict(add_generation_prompt=True, tokenize=False)
    assert T.chat_prompt_kwargs("tensors") == dict(add_generation_prompt=True, return_tensors="pt",
                                                   return_dict=True)
    assert T.encode_kwargs(padded_batch=True) == dict(return_tensors="pt", padding=True,
                                                      add_special_tokens=False)
    assert T.train_kwargs(None) == {"resume_from_checkpoint": None}
    assert bitsandbytes_args.nf4_kwargs("bf16") == dict(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype="bf16")
    with pytest.raises(ValueError, match="output='logits': choose one of text, ids, tensors"):
        T.chat_prompt_kwargs("logits")


def test_serving_builders_keep_the_values_lesson_07_passed():
    T = transformers_args
    # greedy: no sampling settings, not even a preset's own top_k
    assert T.decoding_kwargs(16) == dict(max_new_tokens=16, do_sample=False, temperature=None,
                                         top_p=None, top_k=None)
    assert T.decoding_kwargs(16, temperature=0.7, top_p=0.9, pad_token_id=0, eos_token_id=[2]) == dict(
        max_new_tokens=16, do_sample=True, pad_token_id=0, eos_token_id=[2], temperature=0.7, top_p=0.9,
        top_k=None)
    assert T.greedy_kwargs(64) == dict(max_new_tokens=64, do_sample=False)   # the model's own ids
    assert T.length_kwargs(32) == dict(max_new_tokens=32)
    assert T.encode_kwargs(split_special_tokens=True) == dict(split_special_tokens=True,
                                                              add_special_tokens=False)
    assert T.encode_kwargs(tensors=True) == dict(return_tensors="pt", add_special_tokens=False)
    assert T.decode_kwargs(keep_special_tokens=True) == dict(skip_special_tokens=False)
    assert peft_args.random_lora_kwargs(8, 16, "all-linear") == dict(
        r=8, lora_alpha=16, target_modules="all-linear", lora_dropout=0.0, init_lora_weights=False,
        bias="none", task_type="CAUSAL_LM")
    assert T.generation_config_kwargs([7, 0], 0, 48) == dict(eos_token_id=[7, 0], pad_token_id=0,
                                                              do_sample=False, max_new_tokens=48)


def test_a_tiny_model_size_the_registry_does_not_list_is_refused():
    with pytest.raises(TypeError, match=r"head_dim to transformers\.LlamaConfig"):
        transformers_args.llama_config_kwargs({"head_dim": 64}, bos_token_id=None, eos_token_id=2,
                                              pad_token_id=0)


# ----------------------------------------------------------------------------------------------
# The call sites pass their keywords through the registry

# Calls of library entry points: `.from_pretrained(...)`, `.generate(...)`,
# `.apply_chat_template(...)`, a tokenizer's `.decode(...)`, `trainer.train(...)`, a tokenizer
# called on text, and the library classes below.
ENTRY_METHODS = ("from_pretrained", "generate", "apply_chat_template", "decode", "load_adapter")
ENTRY_NAMES = ("BitsAndBytesConfig", "LoraConfig", "SFTConfig", "SFTTrainer", "CourseSFTTrainer",
               "TrainingArguments", "Trainer", "GenerationConfig", "LlamaConfig", "rotate_checkpoints",
               "tokenizer")
# Files whose library calls are not routed through the registry yet, and why. Route a file's
# calls through course_utils/model/stack/ and remove it here.
NOT_ROUTED = {
    "course_utils/model/smol.py": "the smol model's one-off GGUF conversion: to be added",
    "course_utils/model/mini.py": "the mini models' build: to be added",
    "course_utils/dataset/chat_format.py": "the dataset layer sits below model/ and cannot import it",
}


def _entry(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Attribute):
        receiver = ast.unparse(f.value)
        if f.attr in ENTRY_METHODS and (f.attr != "decode" or "tok" in receiver):  # not bytes.decode
            return f.attr
        if f.attr == "train" and receiver.endswith("trainer"):
            return f.attr
    if isinstance(f, ast.Name) and f.id in ENTRY_NAMES:
        return f.id
    return None


def test_call_sites_pass_library_keywords_only_through_the_registry():
    literal = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR.parent).as_posix()
        if rel.startswith(tuple(NOT_ROUTED)):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _entry(node):
                named = [k.arg for k in node.keywords if k.arg is not None]
                if named:
                    literal.append(f"{rel}:{node.lineno} {_entry(node)}({', '.join(named)}=...)")
    assert not literal, ("library keywords written at the call site instead of coming from "
                         "course_utils/model/stack/:\n" + "\n".join(literal))


# ----------------------------------------------------------------------------------------------
# Against the installed libraries (imports transformers, peft, trl, bitsandbytes, accelerate)


@pytest.mark.slow
def test_the_installed_libraries_accept_everything_the_course_passes():
    problems = drift_problems()
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("call, old, new", [
    (trl_args.SFT_CONFIG, "max_length", "max_seq_length"),          # its earlier name in TRL
    (trl_args.SFT_TRAINER, "processing_class", "tokenizer"),         # its earlier name in the trainers
    (transformers_args.MODEL_FROM_PRETRAINED, "dtype", "torch_dtyp"),
    (transformers_args.GENERATE, "max_new_tokens", "max_tokens"),
    (transformers_args.CHAT_TEMPLATE, "add_generation_prompt", "add_assistant_prompt"),
    (transformers_args.DECODE, "skip_special_tokens", "skip_special"),
    (bitsandbytes_args.BNB_CONFIG, "bnb_4bit_quant_type", "bnb_4bit_type"),
    (peft_args.LORA_CONFIG, "lora_dropout", "dropout"),
    (peft_args.ADAPTER_FROM_PRETRAINED, "adapter_name", "name"),
    (peft_args.MIXED_BATCH, "adapter_names", "adapters"),             # read out of **kwargs, forwarded
    (transformers_args.GENERATE, "attention_mask", "mask"),             # a keyword of the forwarded-to
    (transformers_args.LLAMA_CONFIG, "rope_theta", "rope_base"),        # read out of **kwargs, forwarded
], ids=lambda v: v.target if isinstance(v, LibraryCall) else None)
def test_a_renamed_keyword_in_a_copy_of_the_registry_fails_with_the_message(call, old, new):
    assert drift_problems([renamed(call, old, new)]) == [
        f"course_utils passes {new} to {call.target}, which this version no longer accepts "
        f"{versions(call.library)}"]


@pytest.mark.slow
def test_a_renamed_attribute_fails_with_the_message():
    for call in (bitsandbytes_args.LINEAR4BIT, accelerate_args.ACCELERATOR):
        copy = dataclasses.replace(call, attributes=("renamed_" + call.attributes[0],))
        assert drift_problems([copy]) == [
            f"course_utils uses renamed_{call.attributes[0]} of {call.target}, which this version "
            f"no longer has {versions(call.library)}"]
