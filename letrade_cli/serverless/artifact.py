"""The deployment zip: checked before anything is written, uploaded directly or through S3.

``validate_zip`` refuses a path that does not exist, a file that is not a zip, and a zip that
does not hold the handler's module. ``code_location`` gives the ``Code`` argument of
CreateFunction: the bytes when the zip is within Lambda's 50 MB direct-upload limit, else an
object in the profile's ``artifact_bucket`` (uploaded once per content: the key is the digest).
``find_layer_artifact`` finds a layer ``letrade layer-build`` wrote (packaging and deploy use it).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.serverless.aws import AwsClients, error_code
from letrade_cli.serverless.model import MAX_ZIPPED_BYTES, DeployRequest
from letrade_cli.serverless.zipper import sha256_hex

if TYPE_CHECKING:
    from letrade_cli.serverless.profile import LambdaProfile

ARTIFACT_PREFIX = "letrade-artifacts"
DIRECT_UPLOAD_LIMIT = MAX_ZIPPED_BYTES
LAYER_OUT_DIR = Path("build/layers")  # where `letrade layer-build` writes NAME-RUNTIME-ARCH.zip


def find_layer_artifact(
    profile: LambdaProfile, name: str, runtime: str, arch: str, search: list[Path] | None = None
) -> Path | None:
    """A built layer (zip or directory with ``python/``) for ``name``, if one exists."""
    dirs = [*(search or []), profile.base_dir / LAYER_OUT_DIR, Path.cwd() / LAYER_OUT_DIR]
    for directory in dirs:
        for candidate in (directory / f"{name}-{runtime}-{arch}.zip", directory / name):
            if candidate.is_file() or (candidate / "python").is_dir():
                return candidate
    return None


def validate_zip(path: Path, handler: str) -> None:
    """A readable zip holding ``module.py`` (or ``module/__init__.py``) of ``handler``."""
    if not path.is_file():
        raise UsageError(f"--zip {path}: no such file", hint="build one with lambda-package")
    if not zipfile.is_zipfile(path):
        raise UsageError(f"--zip {path}: not a zip archive", hint="build one with lambda-package")
    module = handler.rpartition(".")[0].replace(".", "/")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"--zip {path}: unreadable zip: {exc}") from exc
    if f"{module}.py" not in names and f"{module}/__init__.py" not in names:
        raise UsageError(
            f"--zip {path}: holds no {module}.py for handler '{handler}'",
            hint="the handler module must be at the top of the zip (lambda-package does this)",
        )


def needs_s3(path: Path, limit: int | None = None) -> bool:
    """True when ``path`` is over the direct-upload limit (default ``DIRECT_UPLOAD_LIMIT``)."""
    return path.stat().st_size > (DIRECT_UPLOAD_LIMIT if limit is None else limit)


def artifact_key(path: Path, kind: str = "functions") -> str:
    """``letrade-artifacts/functions/<sha256>.zip``: one object per content."""
    return f"{ARTIFACT_PREFIX}/{kind}/{sha256_hex(path)}.zip"


def upload_artifact(clients: AwsClients, bucket: str, path: Path, kind: str) -> dict[str, str]:
    """Put ``path`` into ``bucket`` unless an object with its digest is there; S3 location."""
    from botocore.exceptions import ClientError

    s3, key = clients.client("s3"), artifact_key(path, kind)
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if error_code(exc) not in ("404", "NoSuchKey", "NotFound"):
            raise
        with path.open("rb") as fh:
            s3.put_object(Bucket=bucket, Key=key, Body=fh)
    return {"S3Bucket": bucket, "S3Key": key}


def code_location(clients: AwsClients, request: DeployRequest) -> dict[str, Any]:
    """``{"ZipFile": bytes}`` or ``{"S3Bucket", "S3Key"}`` for a zip over 50 MB."""
    if not needs_s3(request.zip_path):
        return {"ZipFile": request.zip_path.read_bytes()}
    if not request.artifact_bucket:
        raise ConfigError(
            f"{request.zip_path} is over Lambda's 50 MB direct upload limit",
            hint="set defaults.artifact_bucket in the profile to upload through S3",
        )
    return upload_artifact(clients, request.artifact_bucket, request.zip_path, "functions")
