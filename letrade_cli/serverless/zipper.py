"""Deterministic zip archives: the same files give the same bytes and the same SHA-256."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterable
from pathlib import Path

from letrade_cli.core.files import atomic_path

# 1980-01-01 is the earliest date a zip can hold; fixed so builds are reproducible.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755


def write_deterministic_zip(entries: Iterable[tuple[str, Path]], target: Path) -> str:
    """Write ``(archive_name, source_file)`` pairs sorted by name; return the hex SHA-256.

    Timestamps are fixed, modes normalised (0644, or 0755 for executables), compression fixed.
    """
    ordered = sorted(entries, key=lambda pair: pair[0])
    # A zip appears only complete: a full disk leaves the previous zip, never a truncated one.
    with (
        atomic_path(target) as temp,
        zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
    ):
        for arcname, source in ordered:
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            mode = EXEC_MODE if source.stat().st_mode & 0o111 else FILE_MODE
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the modes above are honoured
            zf.writestr(info, source.read_bytes(), compresslevel=9)
    return sha256_hex(target)


def sha256_hex(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def lambda_code_sha256(path: Path) -> str:
    """The digest as Lambda reports it in ``CodeSha256``: base64 of the raw SHA-256."""
    digest = hashlib.sha256(path.read_bytes()).digest()
    return base64.b64encode(digest).decode("ascii")
