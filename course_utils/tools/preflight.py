"""Pre-flight check before a class: can this machine run the course, on which profile, how long?

    python -m course_utils.preflight                  this machine
    python -m course_utils.preflight --example t4     a Colab T4 (also: a100, laptop-8gb, blocked)

`gather()` alone looks at the machine (Python, disk, memory, cores, the GPU through torch, the
versions against the pins, the tiny model, the Hub cache, port 8000) and returns `Facts`.
`assess(facts)` is pure: the checks (ok / warn / block), the profile lesson 00 would pick
(`choose_profile`), and each lesson's minutes from README.md's course map, in the profile's own
column (tiny and smol measured on a 2-core CPU, the 7B profile on a T4 or an A100), the tiny
column where the profile's own cell is not measured, and for the lessons that load a 7B model
without a GPU measurement, an estimate (`GPU_ESTIMATE_MINUTES`). Exit status 1 when a check blocks.

What this leaves out: the network (nothing is downloaded or contacted; whether a download is
needed is said, not tried), GPU speed, several kinds of GPU (device 0 counts), Apple MPS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import struct
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from course_utils.model.presets import PRESETS
from course_utils.model.profiles import (MIN_VRAM_GB_FOR_7B, HardwareFacts, choose_profile,
                                         detect_hardware)
from course_utils.paths import REPO_ROOT, TINY_MODEL_DIR
from course_utils.sysinfo import resources, version_mismatches, where_am_i
from course_utils.tools import lesson_minutes as lm
from course_utils.tools.lesson_minutes import GPU_ESTIMATE_MINUTES

MIN_PYTHON = (3, 10)
TESTED_PYTHON = (3, 11)
MIN_DISK_GB = 3.0            # README: the pinned stack, the tiny model and the runs of lessons 05-07
MIN_RAM_GB = 4.0             # below this, warn: untested
MEASURED_CORES = 2           # the course map's CPU minutes were measured on 2 cores
LESSON_07_PORT = 8000        # default port of `python -m course_utils.serve` and `vllm serve`
TINY_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
              "tokenizer_config.json", "chat_template.jinja")
TORCH_LESSONS = ("00", "05", "06", "07")   # load a model: torch, and the 7B on a GPU profile


@dataclass(frozen=True)
class Facts:
    """Lesson 00. Everything the pre-flight needs to know about a machine (faked in tests)."""

    python: tuple[int, int, int]
    disk_free_gb: float
    ram_total_gb: float
    ram_available_gb: float
    cpu_cores: int
    hardware: HardwareFacts = field(default_factory=HardwareFacts)
    torch: str | None = None                  # torch's version, None when it does not import
    gpu_error: str = ""                       # why CUDA failed although torch imports
    mismatches: tuple[str, ...] = ()          # installed versions that differ from the pins
    tiny_model_problems: tuple[str, ...] = ()
    cached_models: tuple[str, ...] = ()       # presets whose weights are in the Hub cache
    hf_token: bool = False                    # HF_TOKEN is set (its value is never read out)
    hf_offline: bool = False                  # HF_HUB_OFFLINE=1: no downloads
    port_free: bool = True                    # 127.0.0.1:8000 could be bound
    other_port: int | None = None             # a free port when 8000 is taken
    course_profile: str = ""                  # COURSE_PROFILE, when set
    where: str = "local"


@dataclass(frozen=True)
class Check:
    """Lesson 00. One line of the report: what was checked, ok / warn / block, and the detail."""

    name: str
    status: str
    detail: str


@dataclass(frozen=True)
class Report:
    """Lesson 00. The checks, the profile and the lessons with their minutes."""

    checks: tuple[Check, ...]
    profile: str
    profile_reason: str
    lessons: tuple[tuple[str, str, str, str], ...]   # (lesson, notebook, minutes, why not yet)
    total: str

    @property
    def blocked(self) -> bool:
        return any(c.status == "block" for c in self.checks)

    def text(self) -> str:
        lines = ["Course pre-flight: can this machine run the course?", ""]
        lines += [f"  {c.status:<6}{c.name:<12}{c.detail}" for c in self.checks]
        lines += ["", f"Profile: {self.profile}", f"  why: {self.profile_reason}"]
        ready = [n for n, _, _, later in self.lessons if not later]
        notes = {later for *_, later in self.lessons}
        shared = f" (needs {notes.pop()})" if len(notes) == 1 and not ready else ""
        lines += [("Lessons it can run once the blocks are fixed: " if self.blocked else
                   "Lessons it can run now: ") + f"{' '.join(ready) or 'none yet'}{shared}; {self.total}"]
        lines += [f"  {n} {nb:<24}{m}" + (f"  [not yet: needs {later}]" if later and not shared else "")
                  for n, nb, m, later in self.lessons]
        bad = [c.name for c in self.checks if c.status == "block"]
        lines.append("")
        lines += [f"BLOCKED by: {', '.join(bad)}. Fix the lines marked 'block' and run again." if bad
                  else "Nothing blocks, but no lesson runs yet: run `make setup`, then this again."
                  if not ready else "Ready: nothing blocks. Lines marked 'warn' are worth reading."]
        return "\n".join(lines)

    __str__ = text


# --- the course map (README.md) ----------------------------------------------------------------

class MapRow(NamedTuple):
    """Lesson 00. One lesson of the course map: its minutes under a profile and where they come from."""

    lesson: str          # "03"
    notebook: str        # "costs" (the link text)
    minutes: float | None  # None: not measured
    column: str          # the course-map column the minutes were read from


def course_map(readme: Path | str = lm.README, profile: str = "tiny",
               gpu: str = "") -> list[MapRow]:
    """Lesson 00. Each lesson's minutes from README.md's course map for `profile` (on a GPU named
    `gpu`, "" for the CPU): its own column where it has one and the cell is measured, else the
    tiny profile's CPU column (`MapRow.column` says which); None where neither is measured."""
    table = lm.map_table(readme)
    own = lm.column_for(profile, gpu)
    columns = list(dict.fromkeys(c.header for c in (own, lm.FALLBACK) if c is not None))
    index = {h: table.column(h) for h in dict.fromkeys(columns)}
    rows = []
    for line, cells in table.rows:
        name = table.link(line, cells).group(1)
        found = [(lm.minutes_in(table, line, h, cells[index[h]]), h) for h in index]
        minutes, column = next(((m, h) for m, h in found if m is not None), (None, columns[0]))
        rows.append(MapRow(cells[0], name, minutes, column))
    return rows


# --- the checks (pure) -----------------------------------------------------------------------------

def _check(name: str, problem: str, status: str, detail: str) -> Check:
    """`status` with "detail: problem" when there is a problem, else ok with the detail."""
    return Check(name, status, f"{detail}: {problem}") if problem else Check(name, "ok", detail)


def _check_machine(f: Facts) -> list[Check]:
    py, cores = ".".join(map(str, f.python)), f.cpu_cores
    old, untested = f.python[:2] < MIN_PYTHON, f.python[:2] != TESTED_PYTHON
    return [
        _check("python", "the course needs 3.10 or newer (3.11 tested); install 3.11 and "
                         "recreate .venv (make setup)" if old else
               "supported; the course is tested on 3.11" if untested else "",
               "block" if old else "warn", py),
        _check("disk", f"the course needs {MIN_DISK_GB:g} GB for its libraries, the tiny model "
                       "and the runs" if f.disk_free_gb < MIN_DISK_GB else "",
               "block", f"{f.disk_free_gb:g} GB free"),
        _check("memory", f"under {MIN_RAM_GB:g} GB is untested; close other programs"
               if f.ram_total_gb < MIN_RAM_GB else "", "warn",
               f"{f.ram_total_gb:g} GB total, {f.ram_available_gb:g} GB available"),
        _check("cores", f"the course map was measured on {MEASURED_CORES}, expect about "
                        f"{MEASURED_CORES / cores:g}x its minutes" if cores < MEASURED_CORES else "",
               "warn", f"{cores} CPU core(s)"),
    ]


def _check_gpu(f: Facts) -> Check:
    hw = f.hardware
    if f.torch is None:
        return Check("gpu", "warn", "torch does not import, so no GPU check; `make setup` "
                                    "installs it (lessons 01-04 run without torch)")
    if f.gpu_error:
        return Check("gpu", "warn", f"torch {f.torch} imports but CUDA fails ({f.gpu_error}): a "
                                    "torch build that does not match the driver; keep the "
                                    "image's own torch (see docs/instructor.md)")
    if hw.device != "cuda":
        return Check("gpu", "ok", f"none (torch {f.torch} sees no CUDA GPU): the CPU runs "
                                  "every lesson on the tiny model")
    small = (f"under {MIN_VRAM_GB_FOR_7B:g} GB a 7B QLoRA run runs out of memory, so the "
             "course runs the tiny model on it") if hw.vram_gb < MIN_VRAM_GB_FOR_7B else ""
    return _check("gpu", small, "warn", f"{hw.name}, {hw.vram_gb:g} GB, "
                                        f"{'bf16' if hw.bf16 else 'fp16 (no bf16)'}")


def _check_packages(f: Facts) -> Check:
    if not f.mismatches:
        return Check("packages", "ok", "every pin of requirements.txt matches")
    more = f"; and {len(f.mismatches) - 3} more" if len(f.mismatches) > 3 else ""
    head = "; ".join(f.mismatches[:3]) + more
    fix = ("run `make setup` (or pip install -r requirements.txt)" if "not installed" in head else
           "the lessons' printed numbers were measured with the pins; `make setup` installs them")
    return Check("packages", "warn", f"{head}: {fix}")


def _check_tiny(f: Facts) -> Check:
    problems = "; ".join(f.tiny_model_problems) + (": restore it with `git checkout data/tiny_model`"
                                                   " or rebuild it with `make tiny-model`")
    return _check("tiny model", problems if f.tiny_model_problems else "", "block",
                  "data/tiny_model" + ("" if f.tiny_model_problems else f" complete ({len(TINY_FILES)} files)"))


def _check_big_model(f: Facts, profile: str) -> Check:
    if not PRESETS[profile].repo_id:       # tiny and smol are read from disk, not the Hub
        return Check("7B model", "ok", f"not needed on the {profile} profile; a 7B profile needs "
                                       f"a CUDA GPU with {MIN_VRAM_GB_FOR_7B:g} GB or more")
    preset = PRESETS[profile]
    size_gb = preset.params_b * 2      # the Hub's 16-bit safetensors: 2 bytes per parameter
    if profile in f.cached_models:
        return Check("7B model", "ok", f"{preset.repo_id} is in the Hub cache")
    problems = []
    if f.hf_offline:
        problems.append(f"HF_HUB_OFFLINE is set, so it cannot be downloaded: unset it, or run "
                        f"`hf download {preset.repo_id}` where the Hub is reachable and copy "
                        "the cache folder (HF_HOME)")
    if preset.gated and not f.hf_token:
        problems.append("it is gated: accept its licence on the Hub and set HF_TOKEN")
    if f.disk_free_gb < size_gb + MIN_DISK_GB:
        problems.append(f"its download needs ~{size_gb:.0f} GB and {f.disk_free_gb:g} GB is free")
    detail = f"{preset.repo_id} is not in the Hub cache; the first load downloads ~{size_gb:.0f} GB"
    if problems:
        return Check("7B model", "block", f"{detail}, but {'; '.join(problems)} (or set "
                                          "COURSE_PROFILE=tiny)")
    return Check("7B model", "ok", f"{detail} from the Hub (network needed once)")


def _check_port(f: Facts) -> Check:
    alt = f"{f.other_port} is free here. " if f.other_port else ""
    return _check(f"port {LESSON_07_PORT}", "" if f.port_free else
                  f"{alt}Lesson 07's notebook picks a free port itself; from a shell pass --port "
                  "to `python -m course_utils.serve` and `vllm serve`", "warn",
                  "free for lesson 07's server" if f.port_free else "in use (an earlier server?)")


# --- the plan: profile, lessons, minutes --------------------------------------------------------------

def _measured(row: MapRow, own: lm.MinuteColumn | None, profile: str, factor: float,
                  cores: int) -> tuple[str, float]:
    """How one lesson's measured minutes read, and the minutes they add to the total."""
    if own is not None and own.gpu and row.column == own.header:
        return f"{lm.minutes_text(row.minutes)} min (measured on the {own.gpu})", row.minutes
    scaled = f", x{factor:g} for {cores} core(s)" if factor > 1 else ""
    other = "" if own is not None and row.column == own.header else \
        f"; with the {lm.FALLBACK.profile} profile, {profile} not measured"
    minutes = row.minutes * factor
    return (f"{lm.minutes_text(minutes)} min (measured on {MEASURED_CORES} CPU cores{scaled}"
            f"{other})", minutes)


def _lesson_minutes(f: Facts, profile: str, lessons: list[MapRow]) -> tuple[tuple, str]:
    """Per lesson (lesson, notebook, minutes, why it cannot run yet or ""): the minutes measured
    for the profile (CPU minutes scaled up below 2 cores), the tiny profile's when the profile's
    own are not measured, or a GPU estimate for the lessons that load a 7B model."""
    factor = max(1.0, MEASURED_CORES / max(f.cpu_cores, 1))
    gpu = f.hardware.name if f.hardware.device == "cuda" else ""
    own = lm.column_for(profile, gpu)
    missing = "the pinned packages, from make setup" if any(
        "not installed" in m for m in f.mismatches) else ""
    rows, low, high, estimated, unmeasured = [], 0.0, 0.0, False, []
    for n, name, minutes, column in lessons:
        later = missing or ("torch, from make setup" if f.torch is None and n in TORCH_LESSONS else "")
        on_gpu = own is not None and own.gpu and column == own.header and minutes is not None
        if PRESETS[profile].repo_id and n in TORCH_LESSONS and not on_gpu:
            kind = next(k for k in GPU_ESTIMATE_MINUTES
                        if k[:4] == ("bf16" if f.hardware.bf16 else "fp16"))
            lo, hi = GPU_ESTIMATE_MINUTES[kind][n]
            rows.append((n, name, f"{lo}-{hi} min (GPU estimate, not measured)", later))
            low, high, estimated = low + lo, high + hi, True
        elif minutes is None:
            rows.append((n, name, "not measured yet", later))
            unmeasured.append(n)
        else:
            text, m = _measured(MapRow(n, name, minutes, column), own, profile, factor,
                                    f.cpu_cores)
            rows.append((n, name, text, later))
            low, high = low + m, high + m
    gap = f"; lessons {' '.join(unmeasured)} not measured" if unmeasured else ""
    if estimated:
        return tuple(rows), f"about {low:.0f}-{high:.0f} minutes of computing in all (an estimate{gap})"
    return tuple(rows), f"about {high:.1f} minutes of computing in all (measured{gap})"


def assess(facts: Facts, lessons: list[MapRow] | None = None,
           readme: Path | str = lm.README) -> Report:
    """Lesson 00. The pre-flight verdict for `facts`: checks, profile, lessons and minutes. Pure.

    `lessons` defaults to the course map of `readme` read for the chosen profile (`course_map`).
    """
    checks = _check_machine(facts) + [_check_gpu(facts), _check_packages(facts), _check_tiny(facts)]
    env = {"COURSE_PROFILE": facts.course_profile} if facts.course_profile else {}
    try:
        chosen = choose_profile(facts.hardware, env=env)
        profile, reason = chosen.name, chosen.reason
    except ValueError as err:
        checks.append(Check("profile", "block", str(err)))
        profile, reason = "tiny", "COURSE_PROFILE is not valid; shown for the tiny profile"
    checks += [_check_big_model(facts, profile), _check_port(facts)]
    if lessons is None:
        gpu = facts.hardware.name if facts.hardware.device == "cuda" else ""
        lessons = course_map(readme, profile=profile, gpu=gpu)
    rows, total = _lesson_minutes(facts, profile, lessons)
    return Report(tuple(checks), profile, reason, rows, total)


# --- the facts of this machine ------------------------------------------------------------------------

def safetensors_problem(path: Path) -> str | None:
    """Lesson 00. Why a .safetensors file is unusable (missing, a Git LFS pointer, truncated), or None."""
    if not path.is_file():
        return f"{path.name} is missing"
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if head.startswith(b"version "):
            return f"{path.name} is a Git LFS pointer, not the weights (run `git lfs pull`)"
        if len(head) < 8:
            return f"{path.name} is {size} bytes: truncated"
        n = struct.unpack("<Q", head)[0]
        if n > size:
            return f"{path.name} is {size:,} bytes, shorter than its own header: truncated"
        try:
            header = json.loads(fh.read(n))
        except (ValueError, MemoryError):
            return f"{path.name} has an unreadable header: truncated or not safetensors"
    end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    if size < 8 + n + end:
        return f"{path.name} is {size:,} bytes but its header needs {8 + n + end:,}: truncated"
    return None


def tiny_model_problems(folder: Path = TINY_MODEL_DIR) -> tuple[str, ...]:
    """Lesson 00. What is missing or broken in the tiny model's folder (empty when it is complete)."""
    out = [f"{name} is missing" for name in TINY_FILES
           if name != "model.safetensors" and not (folder / name).is_file()]
    weights = safetensors_problem(folder / "model.safetensors")
    return tuple(out + ([weights] if weights else []))


def cached_presets(cache: Path | None = None) -> tuple[str, ...]:
    """Lesson 00. The 7B presets whose safetensors are in the Hub cache (HF_HUB_CACHE, HF_HOME)."""
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    cache = Path(cache or os.environ.get("HF_HUB_CACHE") or home / "hub")
    return tuple(name for name, p in PRESETS.items() if p.repo_id and any(
        (cache / ("models--" + p.repo_id.replace("/", "--")) / "snapshots").glob("*/*.safetensors")))


def port_status(port: int = LESSON_07_PORT) -> tuple[bool, int | None]:
    """Lesson 07. (whether 127.0.0.1:`port` can be bound, a free port when it cannot)."""
    def bind(p):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", p))
            return s.getsockname()[1]

    try:
        bind(port)
        return True, None
    except OSError:
        return False, bind(0)


def _machine() -> tuple[float, float, float, int]:
    """(free disk, total memory, available memory in GB, cores), with or without psutil."""
    try:
        r = resources(REPO_ROOT)
        return r["disk_free_gb"], r["ram_total_gb"], r["ram_available_gb"], int(r["cpu_cores"])
    except ImportError:                  # before `make setup`: psutil is not installed yet
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9
        free = shutil.disk_usage(REPO_ROOT).free / 1e9
        return round(free, 1), round(pages, 1), round(pages, 1), os.cpu_count() or 1


def gather() -> Facts:
    """Lesson 00. The facts of this machine (imports torch when it is installed)."""
    disk, ram, available, cores = _machine()
    torch_version, hardware, gpu_error = None, HardwareFacts(), ""
    try:
        import torch

        torch_version, hardware = torch.__version__, detect_hardware()
    except ImportError:
        pass
    except Exception as err:    # a CUDA torch that cannot talk to this driver, among others
        gpu_error = f"{type(err).__name__}: {str(err)[:120]}"
    free, other = port_status()
    return Facts(
        python=tuple(sys.version_info[:3]), disk_free_gb=disk, ram_total_gb=ram,
        ram_available_gb=available, cpu_cores=cores, hardware=hardware, torch=torch_version,
        gpu_error=gpu_error,
        mismatches=tuple(version_mismatches()), tiny_model_problems=tiny_model_problems(),
        cached_models=cached_presets(), hf_token=bool(os.environ.get("HF_TOKEN")),
        hf_offline=os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0"), port_free=free,
        other_port=other, course_profile=os.environ.get("COURSE_PROFILE", "").strip(),
        where=where_am_i())


# --- example machines (for instructors and the tests) ----------------------------------------------------

_TYPICAL = Facts(python=(3, 11, 13), disk_free_gb=80.0, ram_total_gb=12.7, ram_available_gb=11.0,
                 cpu_cores=2, torch="2.13.0")
EXAMPLES = {
    "t4": replace(_TYPICAL, where="colab", disk_free_gb=70.0,
                  hardware=HardwareFacts("cuda", "Tesla T4", 15.8, bf16=False)),
    "a100": replace(_TYPICAL, where="runpod", ram_total_gb=251.0, ram_available_gb=240.0,
                    cpu_cores=16, cached_models=("qwen2.5-7b",), hardware=HardwareFacts(
                        "cuda", "NVIDIA A100-SXM4-80GB", 85.1, bf16=True)),
    "laptop-8gb": replace(_TYPICAL, ram_total_gb=16.0, ram_available_gb=9.5, cpu_cores=8,
                          port_free=False, other_port=8001, hardware=HardwareFacts(
                              "cuda", "NVIDIA GeForce RTX 4060 Laptop GPU", 8.6, bf16=True)),
    "blocked": replace(_TYPICAL, python=(3, 9, 18), disk_free_gb=1.2, ram_total_gb=3.5,
                       ram_available_gb=1.0, cpu_cores=1, torch=None,
                       mismatches=("transformers: not installed (course pins 5.23.0)",),
                       tiny_model_problems=("model.safetensors is a Git LFS pointer, not the "
                                            "weights (run `git lfs pull`)",)),
}


def preflight() -> Report:
    """Lesson 00. The pre-flight report of this machine: `print(preflight())` in a notebook."""
    return assess(gather())


def main(argv: list[str] | None = None) -> int:
    """Lesson 00. Print the pre-flight report of this machine (or of an example); 1 when blocked."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.preflight",
                                     description="Check a machine before a class.")
    parser.add_argument("--example", choices=sorted(EXAMPLES),
                        help="assess an example machine instead of this one")
    args = parser.parse_args(argv)
    facts = EXAMPLES[args.example] if args.example else gather()
    where = f"the example '{args.example}'" if args.example else "this machine"
    report = assess(facts)
    print(f"Machine: {where} ({facts.where})\n\n{report}")
    return 1 if report.blocked else 0


if __name__ == "__main__":
    sys.exit(main())
