"""``lambda-invoke --local``: run a packaged function the way Lambda lays it out, without Docker.

The zip is extracted to ``task/`` (/var/task), layers to ``opt/NAME/python`` (/opt/python), and
the runtime-provided packages (boto3, botocore, ...) are linked into ``runtime/`` (/var/runtime).
A clean interpreter **of the function's runtime version** (see ``interpreter.py``; ``python -I -S
-u``: no site-packages, no PYTHON* variables) runs ``_bootstrap.py`` with exactly those paths, so
a module Lambda would miss is missed here too. A layer whose compiled code is for another Python
or another machine than this one is refused in one line instead of run.
Init (module import) and each call are timed separately: cold = init + first call.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import statistics
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from letrade_cli.core.errors import ConfigError, LetradeError, NetworkUnavailableError
from letrade_cli.serverless import environment
from letrade_cli.serverless.local.abi import MACHINES, LayerMismatchError, layer_compiled
from letrade_cli.serverless.local.imports import RUNTIME_PROVIDED, UnresolvedImportError
from letrade_cli.serverless.local.interpreter import Interpreter, find_interpreter
from letrade_cli.serverless.local.package import DEFAULT_OUT_DIR, PackageResult, package_function
from letrade_cli.serverless.profile import SECRET_REFERENCE, LambdaProfile
from letrade_cli.serverless.report import LambdaReport, parse_report_line

BOOTSTRAP = Path(__file__).with_name("_bootstrap.py")
PASS_THROUGH = re.compile(
    r"^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_PROFILE|AWS_CONFIG_FILE"
    r"|AWS_SHARED_CREDENTIALS_FILE|AWS_CA_BUNDLE|AWS_EC2_METADATA_DISABLED|AWS_ENDPOINT_URL\w*"
    r"|HOME|PATH|LANG|LC_ALL|SSL_CERT_FILE|SSL_CERT_DIR)$"
)
HARNESS_MARGIN_S = 30


class LambdaInitError(LetradeError):
    """The handler module failed to import (exit 1)."""


class HandlerError(LetradeError):
    """The handler raised; ``payload`` is what Lambda would return (exit 1)."""

    def __init__(self, message: str, *, payload: dict[str, Any]) -> None:
        super().__init__(message)
        self.payload = payload


@dataclass(slots=True)
class Invocation:
    """One call of the handler."""

    request_id: str
    duration_ms: float
    cold: bool
    result: Any = None
    error: dict[str, Any] | None = None
    max_memory_mb: int = 0
    report: LambdaReport | None = None


@dataclass(slots=True)
class LocalInvokeResult:
    """Timings, results and logs of a local run."""

    function: str
    package: PackageResult
    init_ms: float
    invocations: list[Invocation]
    logs: str = ""
    env_names: list[str] = field(default_factory=list)
    layer_paths: list[str] = field(default_factory=list)
    missing_layers: list[str] = field(default_factory=list)
    python: str = ""
    python_version: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def cold_ms(self) -> float:
        """Init plus the first call: what a cold start costs."""
        return self.init_ms + self.invocations[0].duration_ms

    @property
    def warm_ms(self) -> list[float]:
        """Durations of the calls after the first."""
        return [inv.duration_ms for inv in self.invocations[1:]]

    @property
    def result(self) -> Any:
        """The last call's result."""
        return self.invocations[-1].result

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (environment values are never included, only names)."""
        warm = self.warm_ms
        return {
            "function": self.function,
            "zip": str(self.package.zip_path),
            "size_bytes": self.package.size_bytes,
            "init_ms": round(self.init_ms, 2),
            "cold_ms": round(self.cold_ms, 2),
            "warm_ms": [round(w, 2) for w in warm],
            "warm_median_ms": round(statistics.median(warm), 2) if warm else None,
            "max_memory_mb": max(inv.max_memory_mb for inv in self.invocations),
            "invocations": [
                {
                    "request_id": inv.request_id,
                    "cold": inv.cold,
                    "duration_ms": round(inv.duration_ms, 2),
                    "error": inv.error,
                }
                for inv in self.invocations
            ],
            "result": self.result,
            "env": self.env_names,
            "layers": self.layer_paths,
            "missing_layers": self.missing_layers,
            "python": self.python,
            "python_version": self.python_version,
            "warnings": self.warnings,
        }


def resolve_environment(
    spec_env: dict[str, str],
    caller_env: dict[str, str],
    overrides: dict[str, str],
    *,
    region: str,
) -> dict[str, str]:
    """The function's environment as a deploy writes it, ``--env`` winning.

    ``env:`` references are resolved; ``ssm:``/``secretsmanager:`` ones are checked to exist and
    passed on as references, for the function to read at run time as it does in Lambda. A local
    invoke reaches them only through an explicitly configured endpoint (a local moto server),
    never the real AWS by accident.
    """
    wanted = {k: v for k, v in spec_env.items() if k not in overrides}
    endpoints: dict[str, str] = {}
    for name, ref in wanted.items():
        kind = ref.partition(":")[0]
        if kind not in ("ssm", "secretsmanager") or not SECRET_REFERENCE.match(ref):
            continue
        suffix = "SSM" if kind == "ssm" else "SECRETS_MANAGER"
        endpoint = caller_env.get(f"AWS_ENDPOINT_URL_{suffix}") or caller_env.get(
            "AWS_ENDPOINT_URL"
        )
        if not endpoint:
            raise ConfigError(
                f"environment {name} references {ref}; a local invoke resolves {kind}: references"
                " only through a configured endpoint",
                hint=f"set AWS_ENDPOINT_URL_{suffix} (e.g. a local moto server) or pass"
                f" --env {name}=VALUE",
            )
        endpoints[kind] = endpoint

    def client_for(service: str) -> Any:
        import boto3  # lazy: heavy

        return boto3.client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=endpoints[service]
        )

    from botocore.exceptions import BotoCoreError, ClientError

    try:
        resolved = environment.resolve_environment(wanted, client_for, caller_env)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise ConfigError(f"cannot read a secret reference: {code}") from exc
    except BotoCoreError as exc:
        raise NetworkUnavailableError(f"cannot reach {sorted(endpoints.values())}: {exc}") from exc
    return resolved.values | overrides


def runtime_dir(target: Path) -> Path:
    """Link this interpreter's copies of the runtime-provided packages into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in sorted(RUNTIME_PROVIDED):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = target / source.name
        if not link.exists():
            link.symlink_to(source, target_is_directory=source.is_dir())
    return target


def _layer_paths(root: Path, name: str, path: Path) -> list[str]:
    if path.is_file():
        dest = root / "opt" / name
        with zipfile.ZipFile(path) as zf:
            zf.extractall(dest)
        path = dest
    python = path / "python"
    sites = sorted(str(p) for p in python.glob("lib/python3*/site-packages"))
    return [*sites, str(python)]


def invoke_local(
    profile: LambdaProfile,
    name: str,
    *,
    event: Any,
    warm: int = 0,
    env_overrides: dict[str, str] | None = None,
    extra_layers: list[Path] | None = None,
    out_dir: Path = DEFAULT_OUT_DIR,
    caller_env: dict[str, str] | None = None,
    python: str | None = None,
) -> LocalInvokeResult:
    """Package ``name``, run it 1 + ``warm`` times in a clean interpreter, return the figures.

    ``python``: the interpreter to use (its version must be the runtime's); default: found.
    """
    spec = profile.function(name)
    interpreter = find_interpreter(spec.runtime, python)
    caller = dict(os.environ) if caller_env is None else caller_env
    region = (env_overrides or {}).get("AWS_REGION") or profile.defaults.region
    function_env = resolve_environment(spec.environment, caller, env_overrides or {}, region=region)
    package = package_function(profile, name, out_dir=out_dir, extra_layers=extra_layers)
    _check_machine(package, spec.architecture, interpreter)
    full_name = profile.aws_name(name)
    with tempfile.TemporaryDirectory(prefix="letrade-invoke-") as tmp:
        root = Path(tmp)
        task = root / "task"
        with zipfile.ZipFile(package.zip_path) as zf:
            zf.extractall(task)
        sys_path = [str(task)]
        missing_layers: list[str] = []
        layer_paths: list[str] = []
        for layer in package.layers:
            if layer.path is None:
                missing_layers.append(layer.name)
            else:
                layer_paths.extend(_layer_paths(root, layer.name, layer.path))
        sys_path += layer_paths
        sys_path.append(str(runtime_dir(root / "runtime")))
        stream = f"2026/01/01/[$LATEST]{os.urandom(16).hex()}"
        env = {k: v for k, v in caller.items() if PASS_THROUGH.match(k)}
        env |= {
            "LANG": env.get("LANG", "C.UTF-8"),
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(task),
            "LAMBDA_RUNTIME_DIR": str(root / "runtime"),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": full_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{full_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
        }
        env |= function_env
        run_spec = {
            "sys_path": sys_path,
            "handler": spec.handler,
            "event": event,
            "warm": warm,
            "timeout_s": spec.timeout,
            "memory_mb": spec.memory,
            "function_name": full_name,
            "invoked_function_arn": f"arn:aws:lambda:{region}:123456789012:function:{full_name}",
            "log_stream_name": stream,
            "result_path": str(root / "result.json"),
        }
        (root / "spec.json").write_text(json.dumps(run_spec), encoding="utf-8")
        command = [interpreter.path, "-I", "-S", "-u", str(BOOTSTRAP), str(root / "spec.json")]
        try:
            proc = subprocess.run(
                command,
                cwd=task,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=spec.timeout * (1 + warm) + HARNESS_MARGIN_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LetradeError(
                f"{name}: timed out after {exc.timeout:g} s", hint="raise timeout: in the profile"
            ) from exc
        logs = proc.stdout.decode("utf-8", "replace")
        result_file = root / "result.json"
        if not result_file.exists():
            raise LetradeError(
                f"{name}: the local runtime exited with code {proc.returncode} and no result",
                hint=logs.strip().splitlines()[-1] if logs.strip() else None,
            )
        raw = json.loads(result_file.read_text(encoding="utf-8"))
        if raw["init_error"]:
            _raise_init_error(name, raw["init_error"], task)
    reports = [r for r in (parse_report_line(line) for line in logs.splitlines()) if r]
    by_id = {r.request_id: r for r in reports}
    invocations = [
        Invocation(
            request_id=item["request_id"],
            duration_ms=item["duration_ms"],
            cold=item["cold"],
            result=item.get("result"),
            error=item.get("error"),
            max_memory_mb=item["max_memory_mb"],
            report=by_id.get(item["request_id"]),
        )
        for item in raw["invocations"]
    ]
    return LocalInvokeResult(
        function=name,
        package=package,
        init_ms=raw["init_ms"],
        invocations=invocations,
        logs=logs,
        env_names=sorted(function_env),
        layer_paths=layer_paths,
        missing_layers=missing_layers,
        python=interpreter.path,
        python_version=interpreter.version,
        warnings=list(package.warnings)
        + [
            f"layer {n} is not built locally (letrade layer-build); not on sys.path"
            for n in missing_layers
        ],
    )


def _check_machine(package: PackageResult, arch: str, interpreter: Interpreter) -> None:
    """Compiled layer code for another machine cannot run here: say so instead of failing oddly."""
    want = MACHINES[arch]
    if interpreter.machine == want:
        return
    for layer in package.layers:
        if layer.path is not None and layer_compiled(layer.path):
            raise LayerMismatchError(
                f"layer {layer.name} holds compiled {arch} code; this machine is "
                f"{interpreter.machine}, so a local run would not be Lambda",
                hint=f"invoke on an {arch} machine, or build a {interpreter.machine} layer",
            )


def _raise_init_error(name: str, error: dict[str, Any], task: Path) -> None:
    where = ""
    for line in error.get("stackTrace", []):
        for path, lineno in re.findall(r'File "([^"]+)", line (\d+)', line):
            if path.startswith(str(task)):
                where = f"{Path(path).relative_to(task)}:{lineno}: "
    message = f"{name}: init failed: {where}{error['errorType']}: {error['errorMessage']}"
    if error["errorType"] == "ModuleNotFoundError":
        raise UnresolvedImportError(
            message, hint="add the package to a layer (and build it) or remove the import"
        )
    raise LambdaInitError(message)
