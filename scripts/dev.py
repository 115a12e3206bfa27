#!/usr/bin/env python3
"""Set up a virtual environment and run the demo or the tests: the README's two commands.

    python3 scripts/dev.py demo        # the whole loop offline, against the local replica
    python3 scripts/dev.py test        # the whole test suite (extra arguments go to pytest)
    python3 scripts/dev.py run ARGS    # any xdd-archive command inside the environment

Needs only Python 3.11+. The environment is ./.venv; it is (re)installed when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".xdd-installed"


def bin_path(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_env() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and bin_path("xdd-archive").exists():
        return
    if not bin_path("python").exists():
        print(f"creating {VENV} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(bin_path("python")), "-m", "pip", "--disable-pip-version-check", "-q"]
    # an old pip resolves lxml without lxml.html.clean, which trafilatura needs
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    print("installing xdd-archive and its test dependencies ...", file=sys.stderr)
    # the build backend's advice on editable installs is noise here
    quiet = {**os.environ, "PYTHONWARNINGS": "ignore"}
    subprocess.run([*pip, "install", "-e", f"{ROOT}[test]"], check=True, env=quiet)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "run"):
        print(__doc__, file=sys.stderr)
        return 2
    ensure_env()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        args = [str(bin_path("xdd-archive")), "demo", *rest]
    elif command == "test":
        args = [str(bin_path("python")), "-m", "pytest", *rest]
    else:
        args = [str(bin_path("xdd-archive")), *rest]
    return subprocess.run(args, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
