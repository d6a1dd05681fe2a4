"""Fixtures shared across the test folders (the network is off for every test: see the root
conftest.py). Module-specific fixtures stay in their test files; small builders that several
folders need (hand-written adapter folders) are in ``builders.py`` beside this file."""

import pytest


@pytest.fixture(scope="session")
def random_adapters(tmp_path_factory):
    """Three rank-8 LoRA adapters with random weights for the tiny base, named after the tasks:
    {"triage": Path, "moderation": Path, "policy_qa": Path}. Built once per test run (~1 s)."""
    from course_utils.serve.adapters import random_adapters as make

    return make(tmp_path_factory.mktemp("random_adapters"), r=8, alpha=16)


@pytest.fixture(scope="module")
def tiny_engine(random_adapters):
    """The tiny base in NF4 with the three random adapters, run on one torch thread as the
    server's worker runs (the thread count is restored for the other test files)."""
    from course_utils.serve.engine import MultiAdapterModel, torch_threads

    with torch_threads(1):
        yield MultiAdapterModel.load("tiny", random_adapters)
