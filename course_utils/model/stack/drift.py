"""Lesson 00: does the installed stack still accept what the course passes it?

`drift_problems()` checks every `LibraryCall` of `course_utils.model.stack` against the installed
libraries and returns one line per keyword (or attribute) the installed version no longer takes:

    course_utils passes X to Y, which this version no longer accepts (installed: A.B.C; known good: D.E.F)

The known-good versions are the pins of requirements.txt. What a callable accepts:
  - a class: its dataclass fields (SFTConfig, LoraConfig, BitsAndBytesConfig) and its
    `__init__`'s parameters;
  - a function: its named parameters (`inspect.signature`) and, when it takes **kwargs, the
    names its source reads out of them (`kwargs.pop("dtype", ...)`, `kwargs.get(...)`,
    `"name" in kwargs`), plus those of the callables it forwards them to and the attributes of
    a default instance of `attributes_of` (GenerationConfig for `generate`).

What this leaves out: the values (a keyword that stays but changes meaning is the lessons' tests'
business) and keywords a library accepts but ignores with a warning.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from collections.abc import Iterable, Mapping
from importlib import metadata

from course_utils.model.stack import (accelerate_args, bitsandbytes_args, peft_args, transformers_args,
                                      trl_args)
from course_utils.model.stack.call import LibraryCall
from course_utils.sysinfo import normalise, pinned_versions

REGISTRY: tuple[LibraryCall, ...] = (transformers_args.CALLS + bitsandbytes_args.CALLS + peft_args.CALLS
                                     + trl_args.CALLS + accelerate_args.CALLS)

_MISSING = object()


def resolve_target(path: str):
    """Lesson 00. The object a dotted path names (the longest importable module, then its
    attributes), or None when the installed version has no such thing."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name, _MISSING)
            if obj is _MISSING:
                return None
        return obj
    return None


def _read_from_kwargs(fn, var: str) -> set[str]:
    """Names a function's source reads out of its **`var` dict."""
    try:
        src = inspect.getsource(fn)
    except (OSError, TypeError):
        return set()
    v = re.escape(var)
    return set(re.findall(rf"""\b{v}\.(?:pop|get)\(\s*["'](\w+)["']""", src)
               + re.findall(rf"""["'](\w+)["']\s+in\s+{v}\b""", src))


def accepted_keywords(obj) -> set[str]:
    """Lesson 00. The keyword names `obj` (a class or a function) accepts, as far as its
    signature, its dataclass fields and its own reads of **kwargs tell."""
    if inspect.isclass(obj):
        names = ({f.name for f in dataclasses.fields(obj) if f.init}
                 if dataclasses.is_dataclass(obj) else set())
        return names | accepted_keywords(obj.__init__)
    fn = inspect.unwrap(getattr(obj, "__func__", obj))
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set()
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for p in params:
        if p.kind is p.VAR_KEYWORD:
            names |= _read_from_kwargs(fn, p.name)
    return names


def _has_attribute(cls, name: str) -> bool:
    """A class attribute or method, or an attribute its constructor sets (`self.name = ...`)."""
    if hasattr(cls, name):
        return True
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return False
    return re.search(rf"\bself\.{re.escape(name)}\s*=", src) is not None


def _versions(library: str, installed: Mapping | None, known_good: Mapping | None) -> str:
    if installed is not None and library in installed:
        have = installed[library]
    else:
        try:
            have = metadata.version(library)
        except metadata.PackageNotFoundError:
            have = "not installed"
    good = (known_good if known_good is not None else pinned_versions()).get(normalise(library),
                                                                              "not pinned")
    return f"(installed: {have}; known good: {good})"


def call_problems(call: LibraryCall, *, installed: Mapping | None = None,
                  known_good: Mapping | None = None) -> list[str]:
    """Lesson 00. What the installed library no longer accepts of `call` (empty: all of it)."""
    target = resolve_target(call.target)
    if target is None:
        return [f"course_utils calls {call.target}, which this version no longer has "
                f"{_versions(call.library, installed, known_good)}"]
    problems = []
    if call.keywords:
        accepted = accepted_keywords(target)
        for path in call.forwards_to:
            forwarded = resolve_target(path)
            accepted |= accepted_keywords(forwarded) if forwarded is not None else set()
        for path in call.attributes_of:
            cls = resolve_target(path)
            accepted |= set(vars(cls())) if cls is not None else set()
        problems += [f"course_utils passes {k} to {call.target}, which this version no longer "
                     f"accepts {_versions(call.library, installed, known_good)}"
                     for k in call.keywords if k not in accepted]
    problems += [f"course_utils uses {a} of {call.target}, which this version no longer has "
                 f"{_versions(call.library, installed, known_good)}"
                 for a in call.attributes if not _has_attribute(target, a)]
    return problems


def drift_problems(calls: Iterable[LibraryCall] = REGISTRY, **versions) -> list[str]:
    """Lesson 00. One line per keyword or attribute the course uses that the installed
    transformers, peft, trl, bitsandbytes or accelerate no longer accepts (empty: all good).
    `installed` / `known_good` ({library: version}) replace the looked-up versions."""
    return [p for call in calls for p in call_problems(call, **versions)]
