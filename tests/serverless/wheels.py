"""Build tiny, valid wheels for tests: no compiler, no network, no setuptools.

A wheel is a zip with ``<name>-<version>.dist-info/{METADATA,WHEEL,RECORD}``; pip checks the
RECORD hashes, so they are computed for real.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

MANYLINUX_X86 = "cp312-cp312-manylinux2014_x86_64"
MANYLINUX_ARM = "cp312-cp312-manylinux2014_aarch64"
PURE = "py3-none-any"


def build_wheel(
    wheelhouse: Path,
    name: str,
    version: str,
    files: dict[str, str | bytes],
    *,
    tag: str = PURE,
    requires: tuple[str, ...] = (),
) -> Path:
    """Write ``<name>-<version>-<tag>.whl`` holding ``files`` (archive path -> content)."""
    dist = f"{name.replace('-', '_')}-{version}"
    info = f"{dist}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    wheel = (
        "Wheel-Version: 1.0\nGenerator: letrade-tests\n"
        f"Root-Is-Purelib: {'true' if tag == PURE else 'false'}\nTag: {tag}\n"
    )
    contents: dict[str, bytes] = {
        path: data.encode() if isinstance(data, str) else data for path, data in files.items()
    }
    contents[f"{info}/METADATA"] = metadata.encode()
    contents[f"{info}/WHEEL"] = wheel.encode()
    record_lines = [f"{path},{_hash(data)},{len(data)}" for path, data in contents.items()]
    record_lines.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    wheelhouse.mkdir(parents=True, exist_ok=True)
    target = wheelhouse / f"{dist}-{tag}.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in contents.items():
            zf.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return target


def build_test_wheelhouse(wheelhouse: Path) -> Path:
    """The standard set used by the layer tests.

    - ``tinyutil`` (pure, with ``tests/``, ``docs/`` and a stray ``.pyc`` to strip)
    - ``letnative`` one wheel per platform; ``letnative/_platform.txt`` says which
    - ``onlyx86``: a manylinux x86_64 wheel only (no arm64 wheel)
    """
    build_wheel(
        wheelhouse,
        "tinyutil",
        "1.0",
        {
            "tinyutil/__init__.py": "VALUE = 1\n",
            "tinyutil/tests/__init__.py": "",
            "tinyutil/tests/test_x.py": "def test_x():\n    pass\n",
            "tinyutil/docs/index.txt": "docs " * 100,
            "tinyutil/__pycache__/__init__.cpython-312.pyc": b"\x00" * 64,
        },
    )
    for tag, machine in ((MANYLINUX_X86, "x86_64"), (MANYLINUX_ARM, "aarch64")):
        build_wheel(
            wheelhouse,
            "letnative",
            "2.0",
            {
                "letnative/__init__.py": "from pathlib import Path\n",
                "letnative/_platform.txt": f"{machine}\n",
                "letnative/_speedups.so": machine.encode() * 200,
            },
            tag=tag,
            requires=("tinyutil>=1.0",),
        )
    build_wheel(wheelhouse, "onlyx86", "0.1", {"onlyx86/__init__.py": ""}, tag=MANYLINUX_X86)
    return wheelhouse


def _hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
