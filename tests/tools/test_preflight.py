"""The pre-flight check: pure verdicts on faked machines, the facts of this one, and the command
as an instructor types it."""

import re
import shutil
import socket
import subprocess
import sys
from dataclasses import replace

import pytest

from course_utils.errors import DataFileError
from course_utils.model.profiles import HardwareFacts, choose_profile
from course_utils.paths import REPO_ROOT, TINY_MODEL_DIR
from course_utils.tools.preflight import (EXAMPLES, GPU_ESTIMATE_MINUTES, Facts, MapRow, assess,
                                          cached_presets, course_map, gather, port_status,
                                          safetensors_problem, tiny_model_problems)

T4, A100, LAPTOP, BLOCKED = (EXAMPLES[k] for k in ("t4", "a100", "laptop-8gb", "blocked"))
NAMES = ("setup", "should_you_fine_tune", "gpu_memory", "costs", "data_curation",
         "qlora_training", "evaluation", "multi_adapter_serving")
# the sample course map's minute cells per lesson: tiny, smol, T4, A100
SAMPLE_CELLS = {"00": ("0.2", "0.9", "not measured", "not measured"),
                "01": ("0.1", "0.1", "not measured", "not measured"),
                "02": ("0.2", "not measured", "not measured", "not measured"),
                "03": ("0.1", "0.1", "not measured", "not measured"),
                "04": ("0.3", "0.4", "not measured", "not measured"),
                "05": ("1.5", "3.9 (runs/ reused)", "not measured", "6.5"),
                "06": ("4.4", "not measured", "not measured", "not measured"),
                "07": ("1.4", "2.0", "not measured", "not measured")}


def sample_readme(path, header="| # | notebook | tiny CPU min | smol CPU min | T4 min (7B) | A100 min (7B) |"):
    """A README whose course map holds the minutes of SAMPLE_CELLS."""
    rows = [f"| {n} | [{name}](notebooks/{n}_{name}.ipynb) | {' | '.join(SAMPLE_CELLS[n])} |"
            for n, name in zip(SAMPLE_CELLS, NAMES)]
    path.write_text("# Course\n\n## Course map\n\nMinutes.\n\n" + header + "\n" + "|---" * 6
                    + "|\n" + "\n".join(rows) + "\n\n## Next\n", encoding="utf-8")
    return path


@pytest.fixture
def readme(tmp_path):
    return sample_readme(tmp_path / "README.md")


def status(report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def detail(report, name) -> str:
    return next(c.detail for c in report.checks if c.name == name)


# --- faked machines ------------------------------------------------------------------------------

def test_colab_t4_gets_the_7b_in_fp16_and_gpu_estimates(readme):
    r = assess(T4, readme=readme)
    assert not r.blocked and set(status(r).values()) == {"ok"}
    assert r.profile == "qwen2.5-7b" and "fp16 with loss scaling" in r.profile_reason
    assert "downloads ~15 GB" in detail(r, "7B model")
    minutes = {n: m for n, _, m, _ in r.lessons}
    lo, hi = GPU_ESTIMATE_MINUTES["fp16 (T4 class)"]["06"]
    assert minutes["06"] == f"{lo}-{hi} min (GPU estimate, not measured)"
    assert minutes["02"] == ("0.20 min (measured on 2 CPU cores; with the tiny profile, "
                             "qwen2.5-7b not measured)")
    assert "(an estimate)" in r.total


def test_a100_uses_its_measured_column_then_bf16_estimates_and_the_cached_model(readme):
    r = assess(A100, readme=readme)
    assert r.profile == "qwen2.5-7b" and "bf16 supported" in r.profile_reason
    assert detail(r, "7B model") == "Qwen/Qwen2.5-7B-Instruct is in the Hub cache"
    minutes = {n: m for n, _, m, _ in r.lessons}
    assert minutes["05"] == "6.5 min (measured on the A100)"          # measured beats estimated
    lo, hi = GPU_ESTIMATE_MINUTES["bf16 (A100 / L4 / H100 class)"]["06"]
    assert minutes["06"] == f"{lo}-{hi} min (GPU estimate, not measured)"


def test_8gb_laptop_gpu_runs_the_tiny_profile_and_reports_a_busy_port(readme):
    r = assess(replace(LAPTOP, course_profile="tiny"), readme=readme)
    assert not r.blocked and r.profile == "tiny"
    assert status(r)["gpu"] == "warn" and "under 14 GB" in detail(r, "gpu")
    assert status(r)["port 8000"] == "warn" and "8001 is free" in detail(r, "port 8000")
    total = sum(float(cells[0]) for cells in SAMPLE_CELLS.values())
    assert r.total == f"about {total:.1f} minutes of computing in all (measured)"
    assert all(not later for *_, later in r.lessons)


def test_the_smol_profile_reads_the_smol_column_and_falls_back_to_tiny(readme):
    rows = {row.lesson: row for row in course_map(readme, profile="smol")}
    assert rows["00"] == MapRow("00", "setup", 0.9, "smol CPU min")
    assert rows["05"] == MapRow("05", "qlora_training", 3.9, "smol CPU min")
    assert rows["02"] == MapRow("02", "gpu_memory", 0.2, "tiny CPU min")   # smol not measured
    r = assess(replace(LAPTOP, course_profile="smol", hardware=HardwareFacts()), readme=readme)
    assert r.profile == "smol"
    minutes = {n: m for n, _, m, _ in r.lessons}
    assert minutes["00"] == "0.90 min (measured on 2 CPU cores)"
    assert minutes["06"] == ("4.4 min (measured on 2 CPU cores; with the tiny profile, smol not "
                             "measured)")
    assert detail(r, "7B model").startswith("not needed on the smol profile")


def test_blocked_machine_names_every_block_and_what_cannot_run_yet(readme):
    r = assess(replace(BLOCKED, course_profile="tiny"), readme=readme)
    assert r.blocked
    assert [c.name for c in r.checks if c.status == "block"] == ["python", "disk", "tiny model"]
    assert "3.9.18: the course needs 3.10 or newer" in detail(r, "python")
    assert "git lfs pull" in detail(r, "tiny model")
    assert status(r)["gpu"] == "warn" and status(r)["cores"] == "warn"
    rows = {n: (m, later) for n, _, m, later in r.lessons}
    assert rows["03"] == ("0.20 min (measured on 2 CPU cores, x2 for 1 core(s))",   # 0.1 x 2
                          "the pinned packages, from make setup")
    text = r.text()
    assert "once the blocks are fixed: none yet (needs the pinned packages, from make setup)" in text
    assert text.endswith("BLOCKED by: python, disk, tiny model. Fix the lines marked 'block' and run again.")


def test_without_torch_only_the_lessons_without_a_model_run(readme):
    r = assess(replace(T4, torch=None, hardware=HardwareFacts(), course_profile="tiny"),
               readme=readme)
    assert not r.blocked and r.profile == "tiny"
    assert [n for n, *_, later in r.lessons if not later] == ["01", "02", "03", "04"]
    assert "  05 qlora_training          1.5 min (measured on 2 CPU cores)  [not yet: needs torch, " \
           "from make setup]" in r.text()


def test_lessons_nobody_measured_are_said_and_left_out_of_the_total(tmp_path):
    readme = sample_readme(tmp_path / "README.md")
    text = readme.read_text(encoding="utf-8").replace("| 4.4 |", "| not measured |")
    readme.write_text(text, encoding="utf-8")
    r = assess(replace(LAPTOP, course_profile="tiny"), readme=readme)
    assert {n: m for n, _, m, _ in r.lessons}["06"] == "not measured yet"
    assert r.total.endswith("(measured; lessons 06 not measured)")


@pytest.mark.parametrize("change, words", [
    (dict(course_profile="mistral-7b"), "gated: accept its licence on the Hub and set HF_TOKEN"),
    (dict(hf_offline=True), "HF_HUB_OFFLINE is set"),
    (dict(disk_free_gb=9.0), "its download needs ~15 GB and 9 GB is free"),
])
def test_a_7b_that_cannot_be_fetched_blocks(change, words):
    r = assess(replace(T4, **change))
    assert r.blocked and status(r)["7B model"] == "block" and words in detail(r, "7B model")
    assert "COURSE_PROFILE=tiny" in detail(r, "7B model")


def test_a_gated_preset_with_a_token_and_a_cached_model_passes():
    ok = replace(T4, course_profile="mistral-7b", hf_token=True, cached_models=("mistral-7b",))
    r = assess(ok)
    assert not r.blocked and r.profile == "mistral-7b"


def test_a_bad_course_profile_blocks_with_the_valid_names():
    r = assess(replace(T4, course_profile="gpt-5"))
    assert status(r)["profile"] == "block"
    assert all(name in detail(r, "profile") for name in ("tiny", "qwen2.5-7b", "mistral-7b", "llama-3.1-8b"))


def test_a_cuda_error_and_old_pins_are_warnings():
    r = assess(replace(T4, gpu_error="RuntimeError: driver too old", hardware=HardwareFacts(),
                       mismatches=("peft: 0.10.0 installed, course pins 0.21.2",)))
    assert not r.blocked and r.profile == choose_profile(HardwareFacts(), env={}).name  # the CPU's
    assert "CUDA fails (RuntimeError: driver too old)" in detail(r, "gpu")
    assert status(r)["packages"] == "warn" and "measured with the pins" in detail(r, "packages")


# --- reading this machine --------------------------------------------------------------------------

def test_course_map_is_read_from_the_readme():
    lessons = course_map()
    assert [n for n, *_ in lessons] == [f"{i:02d}" for i in range(8)]
    assert [name for _, name, *_ in lessons] == list(NAMES)
    assert all(m is None or m > 0 for _, _, m, _ in lessons)
    assert {column for *_, column in lessons} == {"tiny CPU min"}
    with pytest.raises(DataFileError, match="CONTRIBUTING.md, field '## Course map': no such section"):
        course_map(REPO_ROOT / "CONTRIBUTING.md")


def test_a_missing_minutes_column_names_the_readme_and_the_column(tmp_path):
    readme = sample_readme(tmp_path / "README.md", header="| # | notebook | tiny CPU min | smol "
                           "minutes | T4 min (7B) | A100 min (7B) |")
    assert course_map(readme)[0].minutes == 0.2                   # the tiny column is there
    with pytest.raises(DataFileError, match=r"README.md, line 7, field 'smol CPU min': no such "
                                            r"column in the course-map table \(it has"):
        course_map(readme, profile="smol")


def test_safetensors_problems_are_found(tmp_path):
    real = TINY_MODEL_DIR / "model.safetensors"
    assert safetensors_problem(real) is None and tiny_model_problems() == ()
    cut = tmp_path / "model.safetensors"
    cut.write_bytes(real.read_bytes()[:100_000])
    assert "truncated" in safetensors_problem(cut)
    cut.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n")
    assert "Git LFS pointer" in safetensors_problem(cut)
    assert safetensors_problem(tmp_path / "nope.safetensors") == "nope.safetensors is missing"
    for name in ("config.json", "tokenizer_config.json"):
        shutil.copy(TINY_MODEL_DIR / name, tmp_path / name)
    problems = tiny_model_problems(tmp_path)
    assert "tokenizer.json is missing" in problems and any("Git LFS" in p for p in problems)


def test_cached_presets_reads_the_hub_cache_layout(tmp_path):
    snap = tmp_path / "models--Qwen--Qwen2.5-7B-Instruct" / "snapshots" / "abc"
    snap.mkdir(parents=True)
    assert cached_presets(tmp_path) == ()
    (snap / "model-00001-of-00004.safetensors").write_bytes(b"x")
    assert cached_presets(tmp_path) == ("qwen2.5-7b",)


def test_port_status_finds_a_taken_port_and_offers_another():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        free, other = port_status(taken)
        assert not free and isinstance(other, int) and other != taken


@pytest.mark.slow
def test_gather_reads_this_machine():
    f = gather()
    assert isinstance(f, Facts) and f.python == tuple(sys.version_info[:3])
    assert f.tiny_model_problems == () and f.cpu_cores >= 1 and f.disk_free_gb > 0
    assert f.hardware.device in ("cpu", "cuda") and (f.torch is not None or f.hardware.device == "cpu")


# --- the command, as typed ---------------------------------------------------------------------------

def run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO_ROOT)


def test_command_on_a_blocked_example_exits_1():
    out = run("-m", "course_utils.preflight", "--example", "blocked")
    assert out.returncode == 1, out.stderr
    assert "block python      3.9.18" in out.stdout and "BLOCKED by: python, disk, tiny model" in out.stdout


@pytest.mark.slow
def test_command_on_this_machine_exits_0_and_names_profile_and_lessons():
    out = run("-m", "course_utils.tools.preflight")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Machine: this machine" in out.stdout and "ok    tiny model" in out.stdout
    assert re.search(r"^Profile: \S+$", out.stdout, re.M)
    assert "Lessons it can run now: 00 01 02 03 04 05 06 07" in out.stdout


# --- docs/instructor.md says the same as the code ------------------------------------------------------

def test_instructor_kit_quotes_the_gpu_estimates_and_points_to_the_course_map():
    text = (REPO_ROOT / "docs" / "instructor.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d\d) (\w+) \| ([^|]+) \| ([^|]+) \| \d+ \|$", text, re.M)
    assert [(n, name) for n, name, _, _ in rows] == [(r.lesson, r.notebook) for r in course_map()]
    t4, bf16 = GPU_ESTIMATE_MINUTES.values()
    for n, _, on_t4, on_a100 in rows:
        expected = [f"{t4[n][0]}-{t4[n][1]}", f"{bf16[n][0]}-{bf16[n][1]}"] if n in t4 else ["as CPU"] * 2
        assert [on_t4, on_a100] == expected, n
    # the CPU minutes live in the course map only: the kit names its columns, copies no figure
    assert not re.search(r"\| [\d.]+ min \|", text)
    assert all(f"`{h}`" in text for h in ("tiny CPU min", "smol CPU min", "T4 min (7B)"))
    assert "course_runner --record --update-readme" in text
    assert "python -m course_utils.preflight" in text
    assert all(f"--example {name}" in text for name in EXAMPLES)
