"""The emulator as a separate process, pinned to its own core.

The clients are what is measured, so the server must not compete with them for a
core: it runs in its own process and, on a machine with two or more cores, on the
first core while every client process runs on the second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from types import TracebackType
from typing import IO, Any

from ._config import CLOCK_SPEED, DEPLOY_SECONDS


def _usable_cpus() -> list[int]:
    if not hasattr(os, "sched_getaffinity"):
        return []
    return sorted(os.sched_getaffinity(0))


# Read once, before anything is pinned: a pinned process sees only its own core.
_CPUS = _usable_cpus()
SERVER_CPUS = set(_CPUS[:1])
CLIENT_CPUS = set(_CPUS[1:2])


def can_pin() -> bool:
    """Two cores or more, and a platform that can pin a process to one."""
    return len(_CPUS) >= 2


def pin(pid: int, cpus: set[int]) -> None:
    if can_pin():
        os.sched_setaffinity(pid, cpus)


class EmulatorProcess:
    """``python -m aioproton.emulator`` on a scaled clock, stopped on exit."""

    def __init__(self, *, startup_timeout: float = 30.0) -> None:
        self.startup_timeout = startup_timeout
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None

    def __enter__(self) -> EmulatorProcess:
        self._stderr = tempfile.TemporaryFile("w+")
        command = [
            sys.executable,
            "-m",
            "aioproton.emulator",
            "--port",
            "0",
            "--clock",
            f"scaled:{CLOCK_SPEED:g}",
            "--deploy-seconds",
            f"{DEPLOY_SECONDS:g}",
            "--log-level",
            "ERROR",
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        self._process = process
        pin(process.pid, SERVER_CPUS)
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("http://"):
            tail = self.stderr_tail()
            self.__exit__(None, None, None)
            raise RuntimeError(f"the emulator did not start: {tail}")
        self.url = line
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            if exc_type is not None:
                print(f"emulator stderr:\n{self.stderr_tail()}", file=sys.stderr)
            self._stderr.close()
            self._stderr = None

    def stderr_tail(self, limit: int = 2000) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-limit:]

    # ------------------------------------------------------------------ control endpoint

    def _control(self, method: str, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def clear_requests(self) -> None:
        self._control("DELETE", "requests")

    def request_count(self) -> int:
        return len(self._control("GET", "requests")["requests"])


def server_now(url: str) -> float:
    """The emulator's clock, read halfway through a control request."""
    started = time.monotonic()
    with urllib.request.urlopen(f"{url}/_emulator/clock", timeout=30) as response:
        now = float(json.load(response)["now"])
    # The answer was read about half a round trip ago, in real time.
    return now + (time.monotonic() - started) / 2 * CLOCK_SPEED
