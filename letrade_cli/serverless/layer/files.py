"""A layer's files: strip what Lambda never runs, and measure what is left per package.

Removed: ``__pycache__``, ``*.pyc``/``*.pyo``, ``tests``/``test`` directories anywhere (also a
wheel's stray top-level ``tests/`` package), ``docs``/``doc`` inside packages, and ``python/bin``
(console scripts). Kept: every ``*.dist-info`` (its metadata is
read at run time by ``importlib.metadata``).
"""

from __future__ import annotations

import csv
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from letrade_cli.serverless.model import PackageSize

STRIP_DIRS = frozenset({"__pycache__"})
STRIP_DIRS_ANYWHERE = frozenset({"tests", "test"})
STRIP_DIRS_IN_PACKAGES = frozenset({"docs", "doc"})
STRIP_SUFFIXES = (".pyc", ".pyo")
UNOWNED = "(unowned)"


@dataclass(slots=True)
class StripReport:
    """What stripping removed."""

    files: int = 0
    bytes: int = 0


def strip_tree(site: Path) -> StripReport:
    """Delete files Lambda never uses from ``site`` (the layer's ``python/`` directory)."""
    report = StripReport()
    bin_dir = site / "bin"
    if bin_dir.is_dir():
        _remove_dir(bin_dir, report)
    for dirpath, dirnames, filenames in os.walk(site, topdown=True):
        here = Path(dirpath)
        depth = len(here.relative_to(site).parts)
        in_dist_info = any(p.endswith(".dist-info") for p in here.relative_to(site).parts)
        for dirname in list(dirnames):
            if (
                dirname in STRIP_DIRS
                or (not in_dist_info and dirname in STRIP_DIRS_ANYWHERE)
                or (depth >= 1 and not in_dist_info and dirname in STRIP_DIRS_IN_PACKAGES)
            ):
                _remove_dir(here / dirname, report)
                dirnames.remove(dirname)
        for filename in filenames:
            if filename.endswith(STRIP_SUFFIXES):
                path = here / filename
                report.files += 1
                report.bytes += path.stat().st_size
                path.unlink()
    return report


def tree_entries(root: Path) -> list[tuple[str, Path]]:
    """Every file under ``root`` as ``(archive_name, path)``, names relative to ``root``."""
    entries: list[tuple[str, Path]] = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for filename in filenames:
            path = Path(dirpath) / filename
            entries.append((path.relative_to(root).as_posix(), path))
    return entries


def package_sizes(site: Path, zip_path: Path, prefix: str = "python/") -> list[PackageSize]:
    """Unzipped and zipped bytes per distribution, from each ``*.dist-info/RECORD``."""
    with zipfile.ZipFile(zip_path) as zf:
        zipped = {i.filename: i.compress_size for i in zf.infolist()}
    owner: dict[str, tuple[str, str]] = {}
    for dist_info in sorted(site.glob("*.dist-info")):
        name, version = _name_version(dist_info)
        owner[dist_info.relative_to(site).as_posix() + "/"] = (name, version)
        record = dist_info / "RECORD"
        if record.is_file():
            with record.open(newline="", encoding="utf-8") as fh:
                for row in csv.reader(fh):
                    if row:
                        owner[os.path.normpath(row[0]).replace(os.sep, "/")] = (name, version)
    totals: dict[tuple[str, str], list[int]] = {}
    for arcname, compressed in zipped.items():
        rel = arcname.removeprefix(prefix)
        key = owner.get(rel) or _dist_info_owner(rel, owner) or (UNOWNED, "")
        bucket = totals.setdefault(key, [0, 0, 0])
        bucket[0] += 1
        bucket[1] += (site / rel).stat().st_size
        bucket[2] += compressed
    sizes = [PackageSize(n, v, f, u, z) for (n, v), (f, u, z) in totals.items()]
    return sorted(sizes, key=lambda s: (-s.unzipped_bytes, s.name))


def _dist_info_owner(rel: str, owner: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    head = rel.split("/", 1)[0] + "/"
    return owner.get(head) if head.endswith(".dist-info/") else None


def _name_version(dist_info: Path) -> tuple[str, str]:
    metadata = dist_info / "METADATA"
    name = version = ""
    if metadata.is_file():
        for line in metadata.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line:
                break
            if line.startswith("Name:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("Version:"):
                version = line.split(":", 1)[1].strip()
    if not name:
        name, _, version = dist_info.name.removesuffix(".dist-info").rpartition("-")
    return name, version


def _remove_dir(path: Path, report: StripReport) -> None:
    for dirpath, _dirnames, filenames in os.walk(path):
        for filename in filenames:
            report.files += 1
            report.bytes += (Path(dirpath) / filename).lstat().st_size
    shutil.rmtree(path)
