"""Which Python and platform a layer's compiled code was built for, and whether it fits.

Read from each ``*.dist-info/WHEEL`` ``Tag:`` line (``cp312-cp312-manylinux_2_17_x86_64``) and,
for files without wheel metadata, from extension names (``_x.cpython-312-x86_64-linux-gnu.so``).
Pure wheels (``py3-none-any``) fit every runtime. ``abi3`` wheels fit their minimum version and
later ones.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from letrade_cli.core.errors import ConfigError

MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
_LAYER_ZIP = re.compile(r"-python3\.\d+-(x86_64|arm64)\.zip$|\.zip$")
_SO = re.compile(r"\.cpython-(\d)(\d+)-([a-z0-9_]+)-linux-gnu\.so$")


class LayerMismatchError(ConfigError):
    """A layer's compiled code is for another Python or architecture than the function."""


@dataclass(slots=True, frozen=True)
class Compiled:
    """One distribution (or extension file) with compiled code: its python and machine."""

    name: str
    python: str  # "3.12", or "3.8+" for abi3
    machine: str  # "x86_64" / "aarch64" / "" when unknown


def _wheel_tags(name: str, text: str) -> list[Compiled]:
    found: list[Compiled] = []
    for line in text.splitlines():
        if not line.startswith("Tag:"):
            continue
        py, abi, plat = line.split(":", 1)[1].strip().split("-", 2)
        if plat == "any":
            continue
        version = f"{py[2]}.{py[3:]}" if py.startswith("cp") and len(py) > 3 else ""
        if abi == "abi3":
            version += "+"
        machine = next((m for m in MACHINES.values() if plat.endswith(m)), "")
        found.append(Compiled(name, version, machine))
    return found


def layer_compiled(path: Path) -> list[Compiled]:
    """Every compiled distribution in a layer directory or zip."""
    files: dict[str, str] = {}
    so_names: list[str] = []
    if path.is_dir():
        for wheel in path.glob("python/**/*.dist-info/WHEEL"):
            files[wheel.parent.name] = wheel.read_text(encoding="utf-8", errors="replace")
        so_names = [p.name for p in path.glob("python/**/*.so")]
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for entry in zf.namelist():
                if entry.endswith(".dist-info/WHEEL"):
                    files[entry.split("/")[-2]] = zf.read(entry).decode("utf-8", "replace")
                elif entry.endswith(".so"):
                    so_names.append(entry.rsplit("/", 1)[-1])
    found = [c for name, text in files.items() for c in _wheel_tags(_dist(name), text)]
    if not files:
        for so in so_names:
            match = _SO.search(so)
            if match:
                found.append(Compiled(so, f"{match.group(1)}.{match.group(2)}", match.group(3)))
    return found


def _dist(dist_info: str) -> str:
    return dist_info.removesuffix(".dist-info").rsplit("-", 1)[0]


def _fits(compiled: Compiled, version: str, machine: str) -> bool:
    if compiled.machine and compiled.machine != machine:
        return False
    if not compiled.python:
        return True
    if compiled.python.endswith("+"):
        low = tuple(int(x) for x in compiled.python[:-1].split("."))
        return tuple(int(x) for x in version.split(".")) >= low
    return compiled.python == version


def check_layer_abi(layer: str, path: Path, runtime: str, arch: str) -> list[Compiled]:
    """Raise LayerMismatchError when compiled code does not fit; return the compiled parts."""
    version, machine = runtime.removeprefix("python"), MACHINES[arch]
    compiled = layer_compiled(path)
    bad = list(dict.fromkeys(c for c in compiled if not _fits(c, version, machine)))
    if bad:
        layer = _LAYER_ZIP.sub("", layer)
        shown = ", ".join(f"{c.name} (py{c.python or '?'} {c.machine or '?'})" for c in bad[:3])
        raise LayerMismatchError(
            f"layer {layer} ({path}) has compiled code for another Python or architecture: "
            f"{shown}; the function runs {runtime} on {arch}",
            hint=f"rebuild it: letrade layer-build {layer} --runtime {runtime} --arch {arch}",
        )
    return compiled
