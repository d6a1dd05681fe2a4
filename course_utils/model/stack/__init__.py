"""What the course passes to the libraries of its stack, one module per library.

    transformers_args   from_pretrained, generate, chat templates, the tokenizer, Trainer.train,
                        checkpoint rotation, the tiny model's LlamaConfig and GenerationConfig
    bitsandbytes_args   the NF4 recipe (transformers' BitsAndBytesConfig) and the 4-bit layer flag
    peft_args           LoraConfig, PeftModel.from_pretrained / load_adapter, mixed-adapter
                        generate
    trl_args            SFTConfig and SFTTrainer
    accelerate_args     what the trainer calls on accelerate's Accelerator
    call                `LibraryCall`: one registry entry (callable, the keywords the course passes)
    drift               checks every entry against the installed libraries

Each library module lists every call of that library as a `LibraryCall` in its `CALLS`, and its
builders return the keyword dicts the call sites unpack. A library upgrade that renames or drops
one of them is caught by `drift.drift_problems()` (tests/model/test_library_drift.py) before a
lesson fails deep inside the library.

What this leaves out: positional arguments (model, folder, config objects), and what the
library does with the values (the lessons' tests run the calls themselves).
"""
