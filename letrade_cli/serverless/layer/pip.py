"""pip, asked for Lambda's platform (never this machine's), behind an injectable runner.

The manylinux tags follow the runtime's glibc: python3.12+ run on Amazon Linux 2023
(glibc 2.34), python3.10/3.11 on Amazon Linux 2 (glibc 2.26), where a ``manylinux_2_28`` wheel
would fail to load. pip does not widen ``manylinux_2_X`` tags by itself, so each is listed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from letrade_cli.core.errors import ConfigError, LetradeError, NetworkUnavailableError

MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
GLIBC_POLICIES = ((2, 17), (2, 28), (2, 34))
RUNTIME_GLIBC = {
    "python3.10": (2, 26),
    "python3.11": (2, 26),
    "python3.12": (2, 34),
    "python3.13": (2, 34),
}
_MISSING = re.compile(
    r"(?:No matching distribution found for|"
    r"Could not find a version that satisfies the requirement)\s+([^\s;(]+)"
)
_NETWORK = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "ProxyError",
    "connection error:",
    "Max retries exceeded",
    "NameResolutionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "Read timed out",
)


class NoWheelForPlatformError(ConfigError):
    """A requirement has no wheel for Lambda's platform (or no such version)."""


@dataclass(slots=True)
class PipResult:
    """What a pip run returned."""

    returncode: int
    output: str


class PipRunner(Protocol):
    """Runs ``python -m pip <args>``; tests inject a fake that writes files instead."""

    def __call__(self, args: Sequence[str]) -> PipResult:
        """Run pip with ``args`` and return its exit code and combined output."""
        ...


class SubprocessPip:
    """The real runner: ``sys.executable -m pip`` with the user's pip config untouched."""

    def __call__(self, args: Sequence[str]) -> PipResult:
        """Run pip in a subprocess, capturing stdout and stderr together."""
        env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONWARNINGS="ignore")
        proc = subprocess.run(
            [sys.executable, "-m", "pip", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            check=False,
        )
        return PipResult(proc.returncode, proc.stdout)


def platform_tags(runtime: str, arch: str) -> list[str]:
    """The manylinux platform tags pip may pick for ``runtime`` on ``arch``."""
    machine = MACHINE[arch]
    glibc = RUNTIME_GLIBC.get(runtime, (2, 34))
    tags = [f"manylinux2014_{machine}"]
    tags += [f"manylinux_{a}_{b}_{machine}" for a, b in GLIBC_POLICIES if (a, b) <= glibc]
    return tags


def python_version(runtime: str) -> str:
    """``python3.12`` -> ``3.12``."""
    return runtime.removeprefix("python")


def pip_install_args(
    target: Path,
    requirements_file: Path,
    *,
    runtime: str,
    arch: str,
    find_links: Sequence[Path] = (),
    no_index: bool = False,
    log_file: Path | None = None,
) -> list[str]:
    """The ``pip install`` command line for a layer's ``python/`` directory.

    ``log_file`` gets pip's verbose log: with retries off, a connection error is only there.
    """
    args = ["install", "--target", str(target)]
    if log_file is not None:
        args += ["--log", str(log_file)]
    for tag in platform_tags(runtime, arch):
        args += ["--platform", tag]
    args += [
        "--implementation",
        "cp",
        "--python-version",
        python_version(runtime),
        "--only-binary=:all:",
        "--upgrade",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
    ]
    for link in find_links:
        args += ["--find-links", str(link)]
    if no_index:
        args.append("--no-index")
    args += ["-r", str(requirements_file)]
    return args


def pip_failure(output: str, *, runtime: str, arch: str, log: str = "") -> LetradeError:
    """One clear error from pip's output (and verbose log): no wheel, the network, or pip's."""
    match = _MISSING.search(output)
    if any(marker in output or marker in log for marker in _NETWORK):
        return NetworkUnavailableError(
            "pip cannot reach the package index",
            hint="check the network, or use --no-index --find-links DIR with local wheels",
        )
    if match:
        package = match.group(1)
        return NoWheelForPlatformError(
            f"no wheel of '{package}' for Lambda {runtime} on {arch} "
            f"(manylinux {MACHINE[arch]}, cp{python_version(runtime).replace('.', '')})",
            hint="pin a version that ships such a wheel, or drop it from this layer",
        )
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    last = errors[-1] if errors else (output.strip().splitlines() or ["pip failed"])[-1]
    return LetradeError(f"pip failed: {last.removeprefix('ERROR: ')}")
