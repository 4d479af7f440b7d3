"""Fails when this Python has a distribution the given lock file does not pin.

The Docker build runs it against requirements/runtime.lock, so a test tool (pytest, Playwright,
ruff, Hypothesis...) that slipped into the image breaks the build instead of shipping.
Usage: python scripts/check_installed.py requirements/runtime.lock
"""

import importlib.metadata
import re
import sys

# What a Python installation brings of its own, not what the portal installs.
BOOTSTRAP = {"pip", "setuptools", "wheel"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(lock_path: str) -> int:
    with open(lock_path, encoding="utf-8") as lock:
        pinned = {
            canonical(match.group(1))
            for line in lock
            if (match := re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==", line))
        }
    installed = {canonical(dist.metadata["Name"]) for dist in importlib.metadata.distributions()}
    unexpected = sorted(installed - pinned - BOOTSTRAP)
    if unexpected:
        print(f"installed but not in {lock_path}: {', '.join(unexpected)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
