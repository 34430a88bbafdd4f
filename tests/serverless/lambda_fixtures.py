"""Write throwaway Lambda profiles and function sources for packaging/invoke tests."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from letrade_cli.serverless.profile import LambdaProfile, load_lambda_profile


def write_function(root: Path, name: str, files: dict[str, str]) -> Path:
    """Create ``root/src/NAME/`` holding ``files`` (dedented)."""
    src = root / "src" / name
    for rel, text in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return src


def write_profile(root: Path, functions: dict[str, dict[str, Any]], **extra: Any) -> LambdaProfile:
    """Write ``root/lambda.yaml`` and load it (paths resolve against ``root``)."""
    data = {"defaults": {"region": "us-east-1"}, "functions": functions, **extra}
    path = root / "lambda.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_lambda_profile(str(path))


HOST_RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def requires_runtime(runtime: str) -> pytest.MarkDecorator:
    """Skip (cleanly) when no interpreter of ``runtime``'s version is on this machine."""
    from letrade_cli.core.errors import ConfigError
    from letrade_cli.serverless.local.interpreter import find_interpreter

    try:
        find_interpreter(runtime)
    except ConfigError:
        return pytest.mark.skip(reason=f"no {runtime} interpreter on this machine")
    return pytest.mark.skipif(False, reason="")
