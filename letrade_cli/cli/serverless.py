"""`letrade layer-build` and `letrade lambda-deploy`: parse, delegate, render.

Progress and tables go to stderr, data (text or ``--json``) to stdout. Heavy modules (boto3, the
build and deploy code) are imported inside the commands so ``letrade --help`` stays light.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from letrade_cli.cli.help import complete_choices, complete_profile, env_note, examples

if TYPE_CHECKING:
    from letrade_cli.serverless.deploy_steps import StepEvent
    from letrade_cli.serverless.layer_build import LayerBuild
    from letrade_cli.serverless.profile import LambdaProfile

ProfileOpt = Annotated[
    str,
    typer.Option(
        "--profile",
        help="Lambda profile name (letrade profiles list) or path.",
        envvar="LETRADE_LAMBDA_PROFILE",
        autocompletion=complete_profile,
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="AWS region (default: AWS chain, then profile)." + env_note("AWS_DEFAULT_REGION"),
    ),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="AWS endpoint (e.g. a local moto server)." + env_note("AWS_ENDPOINT_URL"),
    ),
]
AwsProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--aws-profile", help="Named profile from ~/.aws (boto3 chain)." + env_note("AWS_PROFILE")
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
SYMBOLS = {"done": "[green]✓[/]", "skip": "[dim]=[/]", "fail": "[red]✗[/]"}


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command("layer-build", epilog=LAYER_EXAMPLES)(layer_build)
    app.command("lambda-deploy", epilog=DEPLOY_EXAMPLES)(lambda_deploy)


LAYER_EXAMPLES = examples(
    ("letrade layer-build letrade-deps --arch arm64", "manylinux wheels for Lambda, cached"),
    ("letrade layer-build deps --requirements req.txt --no-index --find-links wheels/", "offline"),
)
DEPLOY_EXAMPLES = examples(
    ("letrade lambda-deploy data-collector --plan", "what would change; writes nothing"),
    ("letrade lambda-deploy data-collector --publish --alias live --invoke", "deploy and call it"),
)


def layer_build(
    name: Annotated[str, typer.Argument(help="Layer name (a key under `layers:`).")],
    profile: ProfileOpt = "lambda",
    runtime: Annotated[
        str | None, typer.Option(help="Lambda runtime, e.g. python3.12 (default: profile).")
    ] = None,
    arch: Annotated[
        str | None,
        typer.Option(
            help="x86_64 or arm64 (default: profile, else x86_64).",
            autocompletion=complete_choices(("x86_64", "arm64")),
        ),
    ] = None,
    requirements: Annotated[
        Path | None, typer.Option(help="Requirements file (overrides the profile's).")
    ] = None,
    find_links: Annotated[
        list[Path] | None, typer.Option(help="Local wheel directory for pip (repeatable).")
    ] = None,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Use only --find-links; never the package index.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Where NAME-RUNTIME-ARCH.zip is written.")] = Path(
        "build/layers"
    ),
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Rebuild: neither read nor fill the cache.")
    ] = False,
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish a layer version if new.")
    ] = False,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    aws_profile: AwsProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Build a layer zip from wheels for Lambda's platform (manylinux), optionally publish it."""
    with _errors():
        from letrade_cli.serverless.deploy import function_aws_name
        from letrade_cli.serverless.deploy_steps import StepRunner
        from letrade_cli.serverless.layer_build import LayerRequest, build_layer

        prof, lines, runtime, arch = _layer_inputs(name, profile, requirements, runtime, arch)
        runner = StepRunner(on_event=_progress())
        request = LayerRequest(
            name,
            lines,
            runtime=runtime,
            arch=arch,
            out_dir=out,
            find_links=list(find_links or []),
            no_index=no_index,
            use_cache=not no_cache,
        )
        build = build_layer(request, runner=runner)
        _size_table(build)
        data: dict[str, Any] = build.to_dict()
        data["steps_ms"] = runner.timings_ms()
        if publish:
            from letrade_cli.serverless.aws import AwsClients, AwsTarget
            from letrade_cli.serverless.layer_publish import publish_layer

            fallback = prof.defaults.region if prof else "us-east-1"
            clients = AwsClients(AwsTarget(region, endpoint_url, aws_profile), fallback)
            layer_name = function_aws_name(prof.defaults.name_prefix if prof else "", name)
            with runner.step("publish") as step:
                published = publish_layer(
                    clients.client("lambda"),
                    layer_name,
                    build.zip_path,
                    sha256_hex=build.sha256_hex,
                    runtimes=[runtime],
                    arch=arch,
                )
                assert published is not None
                if not published.published:
                    step.skip(f"unchanged: {published.version_arn}")
                else:
                    step.detail = published.version_arn
            data["layer"] = published.to_dict()
        if as_json:
            typer.echo(json.dumps(data, indent=2))
        else:
            cached = " (cached)" if build.cached else ""
            typer.echo(f"{build.zip_path}  sha256 {build.sha256_hex}{cached}")
            if publish:
                typer.echo(data["layer"]["version_arn"])


def _layer_inputs(
    name: str, profile: str, requirements: Path | None, runtime: str | None, arch: str | None
) -> tuple[LambdaProfile | None, list[str], str, str]:
    from letrade_cli.errors import ConfigError, UsageError
    from letrade_cli.serverless.profile import RUNTIMES, load_lambda_profile

    prof: LambdaProfile | None
    try:
        prof = load_lambda_profile(profile)
    except ConfigError:
        if requirements is None:
            raise
        prof = None
    spec = prof.layers.get(name) if prof else None
    if requirements is not None:
        try:
            lines = requirements.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {requirements}: {exc.strerror}") from exc
    else:
        assert prof is not None
        spec = prof.layer(name)
        lines = list(spec.requirements)
        if spec.requirements_file:
            path = prof.base_dir / spec.requirements_file
            lines += path.read_text(encoding="utf-8").splitlines()
    runtime = runtime or (spec.runtimes[0] if spec else "python3.12")
    arch = arch or (spec.architectures[0] if spec else "x86_64")
    if runtime not in RUNTIMES:
        raise UsageError(f"unsupported runtime '{runtime}'", hint=f"use {', '.join(RUNTIMES)}")
    if arch not in ("x86_64", "arm64"):
        raise UsageError(f"unsupported architecture '{arch}'", hint="use x86_64 or arm64")
    return prof, lines, runtime, arch


def lambda_deploy(
    function: Annotated[str, typer.Argument(help="Function name (a key under `functions:`).")],
    profile: ProfileOpt = "lambda",
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    aws_profile: AwsProfileOpt = None,
    plan: Annotated[
        bool, typer.Option("--plan", help="Show what would change; write nothing.")
    ] = False,
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish a version after deploying.")
    ] = False,
    alias: Annotated[
        str | None, typer.Option(help="Create or move this alias to the version.")
    ] = None,
    invoke: Annotated[bool, typer.Option("--invoke", help="Invoke once after deploying.")] = False,
    warm: Annotated[int, typer.Option(min=0, help="Extra (warm) invokes after the first.")] = 0,
    zip_path: Annotated[
        Path | None, typer.Option("--zip", help="Deploy this zip instead of packaging.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or update a function, publish, alias and schedule it; each step idempotent."""
    from letrade_cli.serverless.deploy_env import Redactor

    redact = Redactor()

    def remember(env: Any) -> None:
        nonlocal redact
        redact = env.redactor()

    with _errors(lambda text: redact(text)):
        from letrade_cli.serverless.aws import AwsClients, AwsTarget
        from letrade_cli.serverless.deploy import DeployRequest, deploy_function, function_aws_name
        from letrade_cli.serverless.deploy_steps import StepRunner
        from letrade_cli.serverless.profile import load_lambda_profile

        prof = load_lambda_profile(profile)
        spec = prof.function(function)
        runner = StepRunner(on_event=_progress(lambda text: redact(text)))
        with runner.step("package") as step:
            zip_file = zip_path or _package(prof, function)
            step.detail = str(zip_file)
        prefix = prof.defaults.name_prefix
        request = DeployRequest(
            spec=spec,
            function_name=function_aws_name(prefix, function),
            zip_path=zip_file,
            role_arn=spec.role_arn or prof.defaults.role_arn,
            layer_names={r: function_aws_name(prefix, r) for r in spec.layers},
            plan=plan,
            publish=publish,
            alias=alias,
            on_environment=remember,
        )
        clients = AwsClients(AwsTarget(region, endpoint_url, aws_profile), prof.defaults.region)
        result = deploy_function(request, clients, runner)
        data = result.to_dict()
        if (invoke or warm) and not plan:
            from letrade_cli.serverless.deploy_invoke import invoke_many

            with runner.step("invoke") as step:
                summary = invoke_many(
                    clients.client("lambda"), request.function_name, alias, warm=warm
                )
                step.detail = f"{len(summary.samples)} invoke(s)"
            data["invoke"] = summary.to_dict()
            _invoke_lines(data["invoke"])
        data["aws_calls"] = clients.calls
        data["aws_writes"] = clients.writes()
        _emit_deploy(data, as_json, redact)


def _package(prof: LambdaProfile, function: str) -> Path:
    from letrade_cli.errors import LetradeError

    try:
        from letrade_cli.serverless.package import package_function
    except ImportError as exc:
        raise LetradeError(
            "the function packager (letrade_cli.serverless.package) is not available",
            hint="build the zip another way and pass --zip PATH",
        ) from exc
    zip_file: Path = package_function(prof, function).zip_path
    return zip_file


def _emit_deploy(data: dict[str, Any], as_json: bool, redact: Callable[[str], str]) -> None:
    if as_json:
        typer.echo(redact(json.dumps(data, indent=2)))
        return
    head = "plan for" if data["plan"] else "deployed"
    lines = [f"{head} {data['function_name']} (CodeSha256 {data['code_sha256']})"]
    for action in data["actions"]:
        lines.append(f"  {action['step']}: {action['change']}  {action['detail']}")
    for key in ("function_arn", "version", "alias_arn", "rule_arn"):
        if data.get(key):
            lines.append(f"  {key}: {data[key]}")
    if data["plan"]:
        writes = sum(1 for a in data["actions"] if a["change"] != "skip")
        lines.append(f"  {writes} change(s); nothing was written")
    typer.echo(redact("\n".join(lines)))


def _invoke_lines(summary: dict[str, Any]) -> None:
    from letrade_cli.ui.console import err_console

    console = err_console()
    rtt = summary["round_trip_ms"]
    console.print(
        f"invokes {summary['invokes']}, errors {summary['errors']}; client round trip "
        f"p50 {rtt['p50']} ms, p90 {rtt['p90']} ms, max {rtt['max']} ms",
        markup=False,
    )
    if summary["note"]:
        console.print(f"note: {summary['note']}", markup=False)
        return
    if summary["cold"]:
        cold = summary["cold"]
        console.print(
            f"cold: init {cold['init_duration_ms']} ms + duration {cold['duration_ms']} ms, "
            f"billed {cold['billed_ms']} ms, memory {cold['max_memory_used_mb']} MB",
            markup=False,
        )
    if summary["warm_duration_ms"]:
        warm = summary["warm_duration_ms"]
        console.print(
            f"warm duration (n={warm['n']}): p50 {warm['p50']} ms, p90 {warm['p90']} ms, "
            f"p99 {warm['p99']} ms",
            markup=False,
        )


def _progress(redact: Callable[[str], str] | None = None) -> Callable[[StepEvent], None]:
    from letrade_cli.ui.console import err_console

    console = err_console()

    def show(event: StepEvent) -> None:
        if event.status == "start":
            return
        from rich.markup import escape

        detail = redact(event.detail) if redact else event.detail
        console.print(
            f"{SYMBOLS[event.status]} {event.name:<22} {event.elapsed_ms:>9.1f} ms  "
            f"{escape(detail)}",
            soft_wrap=True,
        )

    return show


def _size_table(build: LayerBuild) -> None:
    from rich.table import Table

    from letrade_cli.serverless.layer_build import MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES
    from letrade_cli.ui.console import err_console

    table = Table(
        title=f"layer {build.name} ({build.runtime}, {build.arch})",
        caption=(
            f"{build.unzipped_bytes / MAX_UNZIPPED_BYTES:.1%} of Lambda's 250 MB unzipped, "
            f"{build.zipped_bytes / MAX_ZIPPED_BYTES:.1%} of its 50 MB zipped limit"
        ),
    )
    for column in ("package", "version", "files", "unzipped", "zipped"):
        table.add_column(column, justify="left" if column in ("package", "version") else "right")
    for p in build.packages:
        table.add_row(
            p.name, p.version, str(p.files), f"{p.unzipped_bytes:,}", f"{p.zipped_bytes:,}"
        )
    table.add_section()
    table.add_row(
        "total",
        "",
        str(sum(p.files for p in build.packages)),
        f"{build.unzipped_bytes:,}",
        f"{build.zipped_bytes:,} (zip)",
    )
    err_console().print(table)


@contextmanager
def _errors(redact: Callable[[str], str] | None = None) -> Iterator[None]:
    """Turn a LetradeError into one red line and its exit code (also under CliRunner)."""
    from letrade_cli.errors import LetradeError

    try:
        yield
    except LetradeError as exc:
        from letrade_cli.ui.console import print_error

        message, hint = exc.message, exc.hint
        if redact is not None:
            message, hint = redact(message), redact(hint) if hint else hint
        print_error(message, hint)
        raise typer.Exit(exc.exit_code) from None
