"""Run ``xdd-archive`` the ways people run it: in a terminal (a real pseudo-terminal), in a pipe, and
under cron (no ``TERM``, no ``HOME``, a bare ``PATH``), so a test can assert the same result in each."""

from __future__ import annotations

import errno
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# CSI sequences (colours, cursor moves), OSC sequences, and the lone control characters a live display uses
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|[\x07\x0f\x0e]")


def strip_ansi(text: str) -> str:
    """The text a person reads off the screen, escape sequences removed (carriage returns kept)."""
    return _ANSI.sub("", text)


def command(*args: str) -> list[str]:
    """The command line of ``xdd-archive ARGS`` as the installed console script runs it."""
    return [sys.executable, "-P", "-m", "xdd_archive.cli", *args]


def user_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test runner's environment minus anything that would point at a user's archive or clock."""
    env = {k: v for k, v in os.environ.items() if k not in ("XDD_DB", "XDD_NOW", "XDD_CONFIG")}
    env.update(extra or {})
    return env


def cron_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """What cron gives a job: a bare PATH and a shell, no TERM, no HOME, no locale."""
    env = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "LOGNAME": "root"}
    env.update(extra or {})
    return env


@dataclass
class Ran:
    """How a command ended and what it printed (stdout and stderr together in a terminal)."""

    returncode: int
    output: str

    @property
    def screen(self) -> str:
        return strip_ansi(self.output)


def run_in_terminal(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 180,
    columns: int = 100,
    until: Callable[[str], bool] | None = None,
    stop_signal: int = signal.SIGTERM,
) -> Ran:
    """Run ``args`` with stdin, stdout and stderr on a new pseudo-terminal, as in an interactive shell.

    ``until``: a condition on the output so far; once it holds, the process gets ``stop_signal`` (for a
    daemon that would otherwise run forever). The window is ``columns`` wide.
    """
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    full_env = {"TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "40", **(env or user_env())}
    process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=full_env,
                               start_new_session=True, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    signalled = False
    try:
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{' '.join(args)} still running after {timeout} s:\n"
                                   f"{strip_ansi(b''.join(chunks).decode(errors='replace'))}")
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError as exc:  # EIO: every holder of the terminal's other end is gone
                    if exc.errno != errno.EIO:
                        raise
                    data = b""
                if not data:
                    break
                chunks.append(data)
            if until is not None and not signalled and until(strip_ansi(b"".join(chunks).decode(errors="replace"))):
                process.send_signal(stop_signal)
                signalled = True
            if not ready and process.poll() is not None:
                # drain what is left, then stop
                while select.select([master], [], [], 0.1)[0]:
                    try:
                        data = os.read(master, 65536)
                    except OSError:
                        break
                    if not data:
                        break
                    chunks.append(data)
                break
        returncode = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    return Ran(returncode, b"".join(chunks).decode("utf-8", errors="replace"))


def run_piped(args: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT,
              timeout: float = 180) -> Ran:
    """Run ``args`` with its output in a pipe and no terminal anywhere (stdin from /dev/null)."""
    done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=env if env is not None else user_env(), cwd=cwd, timeout=timeout)
    return Ran(done.returncode, done.stdout + done.stderr)
