"""Find a Python interpreter of the function's runtime version for ``lambda-invoke --local``.

Looked for, in order: ``--python PATH``; this interpreter when its version matches; ``pythonX.Y``
on PATH (pyenv shims included, each one run once to confirm its version); pyenv's
``$PYENV_ROOT/versions/X.Y*``; uv's ``~/.local/share/uv/python/cpython-X.Y*``. No match is a
ConfigError saying where we looked: running another version would not be Lambda.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from letrade_cli.core.errors import ConfigError

PROBE = "import platform, sys; print('%d.%d' % sys.version_info[:2], platform.machine())"


@dataclass(slots=True, frozen=True)
class Interpreter:
    """A Python executable, its ``X.Y`` version and its machine (``x86_64``/``aarch64``)."""

    path: str
    version: str
    machine: str


def runtime_version(runtime: str) -> str:
    """``python3.12`` -> ``3.12``."""
    return runtime.removeprefix("python")


def probe(path: str) -> Interpreter | None:
    """Run ``path`` once to learn its version and machine; None when it does not run."""
    try:
        proc = subprocess.run(
            [path, "-I", "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
            env={k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "PYENV_ROOT")},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = proc.stdout.split()
    if proc.returncode != 0 or len(parts) != 2:
        return None
    return Interpreter(path, parts[0], parts[1])


def candidates(version: str, environ: dict[str, str] | None = None) -> list[str]:
    """Places an interpreter of ``version`` may be, best first (not yet checked)."""
    env = dict(os.environ) if environ is None else environ
    found: list[str] = []
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        found.append(sys.executable)
    on_path = shutil.which(f"python{version}", path=env.get("PATH"))
    if on_path:
        found.append(on_path)
    home = Path(env.get("HOME", str(Path.home())))
    pyenv = Path(env.get("PYENV_ROOT") or home / ".pyenv") / "versions"
    found += [str(p) for p in sorted(pyenv.glob(f"{version}*/bin/python{version}"), reverse=True)]
    uv = Path(env.get("UV_PYTHON_INSTALL_DIR") or home / ".local/share/uv/python")
    found += [
        str(p) for p in sorted(uv.glob(f"cpython-{version}*/bin/python{version}"), reverse=True)
    ]
    return list(dict.fromkeys(found))


def find_interpreter(
    runtime: str, explicit: str | None = None, environ: dict[str, str] | None = None
) -> Interpreter:
    """An interpreter of ``runtime``'s version, or a ConfigError naming where we looked."""
    version = runtime_version(runtime)
    if explicit is not None:
        found = probe(explicit)
        if found is None:
            raise ConfigError(f"--python {explicit}: does not run", hint="pass a Python executable")
        if found.version != version:
            raise ConfigError(
                f"--python {explicit} is Python {found.version}; the function runs {runtime}",
                hint=f"pass a Python {version} interpreter",
            )
        return found
    for path in candidates(version, environ):
        found = probe(path)
        if found is not None and found.version == version:
            return found
    raise ConfigError(
        f"no Python {version} interpreter found for {runtime} (looked at PATH, pyenv, uv)",
        hint=f"install one (pyenv install {version} / uv python install {version}) "
        "or pass --python PATH",
    )
