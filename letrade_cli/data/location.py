"""Where data lives: a local directory or ``s3://bucket/prefix``, as one pyarrow filesystem.

S3 goes through ``pyarrow.fs.S3FileSystem`` (the AWS SDK's credential chain; the endpoint from
``--endpoint-url``, else ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL``), so nothing is
downloaded at run time (DuckDB's httpfs extension is never needed). Every text a user sees goes
through :func:`mask`: credentials in a URL and the AWS secret variables' values never print.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from letrade_cli.core.errors import (
    ConfigError,
    LetradeError,
    NetworkUnavailableError,
    UsageError,
)

if TYPE_CHECKING:
    import pyarrow.fs as pafs

_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_SECRET_VARS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")


def mask(text: str) -> str:
    """``text`` with URL credentials (``scheme://user:pass@``) and AWS secret values masked."""
    text = _USERINFO.sub("***@", text)
    for name in _SECRET_VARS:
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, "***")
    return text


@dataclass(frozen=True, slots=True)
class Location:
    """A root on a filesystem: ``base`` is the path the filesystem understands."""

    fs: pafs.FileSystem
    base: str
    display: str  # what messages show (masked)
    remote: bool

    def join(self, relative: str) -> str:
        """The filesystem path of ``relative`` under the root."""
        return f"{self.base}/{relative}" if self.base else relative

    def relative(self, path: str) -> str:
        """``path`` relative to the root."""
        prefix = self.base + "/" if self.base else ""
        return path[len(prefix) :] if path.startswith(prefix) else path

    def files(self, suffix: str) -> list[str]:
        """Every file under the root whose name ends in ``suffix`` (hidden names skipped)."""
        import pyarrow.fs as pafs

        selector = pafs.FileSelector(self.base, recursive=True, allow_not_found=True)
        try:
            infos = self.fs.get_file_info(selector)
            if not infos and self.remote:
                bucket = self.base.split("/", 1)[0]
                if self.fs.get_file_info(bucket).type == pafs.FileType.NotFound:
                    raise ConfigError(
                        f"bucket {bucket!r} does not exist",
                        hint="check the name in s3://BUCKET/PREFIX and --endpoint-url",
                    )
        except OSError as exc:
            raise _s3_error(f"cannot list {self.display}", exc) from None
        out = []
        for info in infos:
            if info.type != pafs.FileType.File or not info.path.endswith(suffix):
                continue
            name = info.path.rsplit("/", 1)[-1]
            if name.startswith((".", "_")):
                continue
            out.append(info.path)
        return sorted(out)

    def read_bytes(self, path: str) -> bytes:
        """The whole content of one file (ConfigError naming it when it cannot be read)."""
        try:
            with self.fs.open_input_stream(path) as handle:
                data: bytes = handle.read()
                return data
        except OSError as exc:
            if self.remote:
                raise _s3_error(f"cannot read {self.show(path)}", exc) from None
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None

    def show(self, path: str) -> str:
        """How messages name ``path``."""
        return f"s3://{path}" if self.remote else path


def _s3_error(what: str, exc: OSError) -> LetradeError:
    """An S3 failure as one line: unreachable endpoint (exit 4) or refused (exit 2)."""
    detail = mask(str(exc).splitlines()[0])
    if "NETWORK_CONNECTION" in detail or "Could not connect" in detail:
        return NetworkUnavailableError(
            f"{what}: {detail}", hint="check --endpoint-url / AWS_ENDPOINT_URL_S3 and the network"
        )
    return ConfigError(
        f"{what}: {detail}", hint="check the bucket name, your AWS credentials and --endpoint-url"
    )


def endpoint_from_env(endpoint_url: str | None) -> str | None:
    """``--endpoint-url``, else ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL``."""
    return (
        endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or None
    )


def open_location(source: str | Path, endpoint_url: str | None = None) -> Location:
    """A local directory (``Path``/str) or ``s3://bucket/prefix`` as a :class:`Location`."""
    import pyarrow.fs as pafs

    text = str(source)
    if not text.startswith("s3://"):
        path = os.path.abspath(Path(text).expanduser())
        return Location(pafs.LocalFileSystem(), Path(path).as_posix(), path, remote=False)
    bucket, _, prefix = text[5:].partition("/")
    if not bucket or "@" in bucket:
        raise UsageError(f"{mask(text)}: no bucket", hint="use s3://bucket/prefix")
    prefix = prefix.strip("/")
    base = f"{bucket}/{prefix}" if prefix else bucket
    return Location(
        s3_filesystem(endpoint_from_env(endpoint_url)), base, f"s3://{base}", remote=True
    )


def s3_filesystem(endpoint: str | None) -> pafs.FileSystem:
    """The S3 filesystem of pyarrow, path-style on a custom endpoint (moto, MinIO, LocalStack)."""
    import pyarrow.fs as pafs

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    if not endpoint:
        return pafs.S3FileSystem(region=region)
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--endpoint-url {mask(endpoint)} is not an http(s) URL",
            hint="e.g. http://127.0.0.1:5000",
        )
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return pafs.S3FileSystem(
        region=region, endpoint_override=host, scheme=parts.scheme, force_virtual_addressing=False
    )
