"""The extractor's code is typed and linted: ``mypy --strict`` (lxml through lxml-stubs) and ruff pass on
the extraction package and the modules it is made of. A failure prints what they found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["crawler/extract", "crawler/vntext.py", "crawler/markup.py", "crawler/decoding.py", "crawler/sites.py"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=240)


def test_the_extraction_package_type_checks_strictly() -> None:
    done = run("mypy", "--strict", *MODULES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_extraction_package_is_lint_clean() -> None:
    done = run("ruff", "check", *MODULES, "tests/test_extract_types.py")
    assert done.returncode == 0, done.stdout + done.stderr
