"""The lock files agree with pyproject.toml (a package added without `make lock` fails here), are
hashed, and the image installs the runtime lock only."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
DEV_LOCK = ROOT / "requirements" / "dev.lock"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(group: str) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = (
        project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    )
    pins = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;]+)", requirement.strip())
        assert match, f"{requirement!r} in pyproject.toml is not pinned with =="
        pins[canonical(match.group(1))] = match.group(3)
    return pins


def locked(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name → (version, hashes) for every requirement of a lock file."""
    entries, current = {}, None
    for line in path.read_text().splitlines():
        assert not re.match(r"(<<<<<<<|=======|>>>>>>>)", line), f"conflict marker in {path.name}"
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if match:
            current = canonical(match.group(1))
            assert current not in entries, f"{current} twice in {path.name}"
            entries[current] = (match.group(2), set())
        for digest in re.findall(r"--hash=sha256:([0-9a-f]{64})", line):
            entries[current][1].add(digest)
    return {name: (version, frozenset(hashes)) for name, (version, hashes) in entries.items()}


def test_every_declared_pin_is_locked_at_its_version():
    runtime, dev = locked(RUNTIME_LOCK), locked(DEV_LOCK)
    for name, version in declared("runtime").items():
        assert runtime.get(name, ("missing",))[0] == version, f"{name}: run `make lock`"
    for name, version in {**declared("runtime"), **declared("dev")}.items():
        assert dev.get(name, ("missing",))[0] == version, f"{name}: run `make lock`"


def test_every_locked_requirement_carries_hashes():
    for path in (RUNTIME_LOCK, DEV_LOCK):
        for name, (_version, hashes) in locked(path).items():
            assert hashes, f"{name} in {path.name} has no --hash"


def test_dev_lock_is_the_runtime_lock_plus_the_dev_tools():
    runtime, dev = locked(RUNTIME_LOCK), locked(DEV_LOCK)
    assert {name: dev.get(name) for name in runtime} == runtime
    dev_only = set(declared("dev")) - set(declared("runtime"))
    assert dev_only and not dev_only & set(runtime), "a dev tool is in the runtime lock"
    assert {"pytest", "playwright", "ruff", "hypothesis"} <= dev_only


def test_image_installs_the_runtime_lock_only_with_hashes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install[^\n]*", dockerfile)
    assert installs == ["pip install --require-hashes --no-deps -r requirements/runtime.lock \\"]
    assert "dev.lock" not in dockerfile and "requirements.lock" not in dockerfile
    assert "scripts/check_installed.py requirements/runtime.lock" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"tests", "bench", "requirements/dev.lock", ".venv"} <= set(ignored)


def check_installed(lock: Path) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_installed.py"), str(lock)],
        capture_output=True,
        text=True,
        check=False,
    )
    reported = result.stderr.partition(": ")[2].strip()
    return result.returncode, {name.strip() for name in reported.split(",") if name.strip()}


def test_installed_check_refuses_test_tools_against_the_runtime_lock():
    """The test environment has pytest and ruff, as an image must not: the build's check fails."""
    returncode, reported = check_installed(RUNTIME_LOCK)
    assert returncode == 1
    assert {"pytest", "ruff", "playwright", "hypothesis"} <= reported
    assert not reported & set(locked(RUNTIME_LOCK))


def test_installed_check_accepts_what_the_lock_pins():
    _returncode, reported = check_installed(DEV_LOCK)
    assert not reported & set(locked(DEV_LOCK)), "names must match however they are spelled"
