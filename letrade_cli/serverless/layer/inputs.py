"""What a ``layer-build`` builds: the profile (if any), requirement lines, runtime and architecture.

A layer named in the profile takes its requirements (and ``requirements_file``) from there, and
the runtime and architecture of the first function that lists it (else the layer's first ones):
a layer is built for the machine that imports it. ``--requirements FILE`` works without a
profile.
"""

from __future__ import annotations

from pathlib import Path

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.core.files import read_utf8
from letrade_cli.serverless.profile import RUNTIMES, LambdaProfile, load_lambda_profile


def layer_inputs(
    name: str, profile: str, requirements: Path | None, runtime: str | None, arch: str | None
) -> tuple[LambdaProfile | None, list[str], str, str]:
    """The profile (if any), requirement lines, runtime and architecture of a layer build."""
    prof: LambdaProfile | None
    try:
        prof = load_lambda_profile(profile)
    except ConfigError:
        if requirements is None:
            raise
        prof = None
    spec = prof.layers.get(name) if prof else None
    if requirements is not None:
        lines = read_utf8(requirements, "requirements file").splitlines()
    else:
        assert prof is not None
        spec = prof.layer(name)
        lines = list(spec.requirements)
        if spec.requirements_file:
            path = prof.base_dir / spec.requirements_file
            lines += read_utf8(path, f"layers.{name}.requirements_file").splitlines()
    # Built for the function that uses it: its runtime and architecture, else the layer's own.
    user = next((f for f in prof.functions.values() if name in f.layers), None) if prof else None
    runtime = (
        runtime or (user.runtime if user else None) or (spec.runtimes[0] if spec else "python3.12")
    )
    arch = (
        arch
        or (user.architecture if user else None)
        or (spec.architectures[0] if spec else "x86_64")
    )
    if runtime not in RUNTIMES:
        raise UsageError(f"unsupported runtime '{runtime}'", hint=f"use {', '.join(RUNTIMES)}")
    if arch not in ("x86_64", "arm64"):
        raise UsageError(f"unsupported architecture '{arch}'", hint="use x86_64 or arm64")
    return prof, lines, runtime, arch
