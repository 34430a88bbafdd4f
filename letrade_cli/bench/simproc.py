"""``letrade sim`` in its own process for the order and e2e modes (pinned to its own CPU).

The sim prints one JSON line (``{"ws_url", "rest_url", "port"}``) when it listens; it is stopped
with SIGTERM (a normal end for it) and killed if it does not go within a few seconds.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letrade_cli.bench.common import child_env

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class SimInfo:
    """Where the running sim listens."""

    ws_url: str
    rest_url: str
    port: int


class SimProcess:
    """``with SimProcess(rate=10_000, cpu=1) as sim: ...`` runs ``letrade sim`` around a block."""

    def __init__(
        self,
        rate: float = 50.0,
        *,
        cpu: int | None = None,
        seed: int = 7,
        ed25519_keys: Mapping[str, str | Path] | None = None,
    ) -> None:
        """``ed25519_keys``: API key -> its public key's PEM file (``--ed25519-key``)."""
        self.rate = rate
        self.cpu = cpu
        self._argv = [
            sys.executable,
            "-m",
            "letrade_cli",
            "sim",
            "--port=0",
            f"--rate={rate:g}",
            f"--seed={seed}",
            # The benchmark sends thousands of requests a minute: far above a real venue's default.
            "--weight-limit=100000000",
            "--order-limit=100000000",
            *(f"--ed25519-key={key}={path}" for key, path in (ed25519_keys or {}).items()),
        ]
        self._proc: subprocess.Popen[bytes] | None = None

    def _pin(self) -> None:  # runs in the child between fork and exec
        if self.cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {self.cpu})

    def __enter__(self) -> SimInfo:
        self._proc = subprocess.Popen(
            self._argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=child_env(),
            preexec_fn=self._pin if self.cpu is not None else None,
        )
        try:
            line = _readline(self._proc, START_TIMEOUT_S)
            info: dict[str, Any] = json.loads(line)
            return SimInfo(str(info["ws_url"]), str(info["rest_url"]), int(info["port"]))
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int | None:
        """The sim's process id while it runs."""
        return None if self._proc is None else self._proc.pid

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _readline(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """The sim's first stdout line, or ``RuntimeError``/``TimeoutError`` saying why not."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    buf = b""
    fd = proc.stdout.fileno()
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"letrade sim did not start within {timeout:g}s")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError(f"letrade sim exited with {proc.wait()} before it listened")
        buf += chunk
    return buf.split(b"\n", 1)[0]
