"""`letrade lambda-logs`: CloudWatch Logs of a function; REPORT lines as a cold/warm table."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from letrade_cli.cli.help import complete_functions
from letrade_cli.cli.lambda_common import (
    AwsProfileOpt,
    EndpointOpt,
    JsonOpt,
    ProfileOpt,
    RegionOpt,
    aws_clients,
    lambda_errors,
)

if TYPE_CHECKING:
    from letrade_cli.serverless.deploy.logs import LogEvent

POLL_SECONDS = 2.0


def lambda_logs(
    function: Annotated[
        str, typer.Argument(help="Function name in the profile.", autocompletion=complete_functions)
    ],
    since: Annotated[str, typer.Option("--since", help="How far back: 30s, 10m, 2h, 1d.")] = "10m",
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep polling for new events (Ctrl-C stops).")
    ] = False,
    text_filter: Annotated[
        str | None, typer.Option("--filter", help="Only events whose message contains TEXT.")
    ] = None,
    profile: ProfileOpt = "lambda",
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    aws_profile: AwsProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a function's logs; REPORT lines become a table of cold/warm invocations."""
    with lambda_errors():
        from letrade_cli.serverless.deploy.logs import fetch_events, parse_since, summarize
        from letrade_cli.serverless.profile import load_lambda_profile

        prof = load_lambda_profile(profile)
        prof.function(function)
        name = prof.aws_name(function)
        start = parse_since(since)
        logs = aws_clients(prof, region, endpoint_url, aws_profile).client("logs")
        if follow:
            _follow(logs, name, start, text_filter, as_json)
            return
        events = fetch_events(logs, name, start, text_filter)
        if as_json:
            data = {
                "function": name,
                "events": [e.to_dict() for e in events],
                "summary": summarize(events),
            }
            typer.echo(json.dumps(data, indent=2))
            return
        for event in events:
            if text_filter is None or text_filter in event.message:
                typer.echo(_line(event))
        _report_table(events, summarize(events))


def _follow(logs: Any, name: str, start: int, text_filter: str | None, as_json: bool) -> None:
    import threading

    from letrade_cli.serverless.deploy.logs import follow_events

    stopped = threading.Event()
    try:
        for event in follow_events(
            logs,
            name,
            start,
            text_filter,
            stop=stopped.is_set,
            wait=lambda: stopped.wait(POLL_SECONDS),
        ):
            typer.echo(json.dumps(event.to_dict()) if as_json else _line(event))
    except KeyboardInterrupt:
        stopped.set()
        from letrade_cli.core.errors import EXIT_INTERRUPTED

        raise typer.Exit(EXIT_INTERRUPTED) from None  # Ctrl-C is not success (cron, scripts)


def _line(event: LogEvent) -> str:
    import datetime as dt

    when = dt.datetime.fromtimestamp(event.timestamp_ms / 1000, tz=dt.UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S.%f}"[:-3] + f"Z  {event.message.rstrip()}"


def _report_table(events: list[LogEvent], summary: dict[str, Any]) -> None:
    from rich.table import Table

    from letrade_cli.ui.console import err_console

    rows = [e for e in events if e.report is not None]
    if not rows:
        err_console().print("no REPORT lines in this window", markup=False)
        return
    table = Table(
        title="invocations (REPORT lines)",
        caption=(
            f"{summary['cold']} cold, {summary['warm']} warm; "
            f"warm median {summary['warm_duration_median_ms']} ms"
        ),
    )
    for column in ("request", "start", "init ms", "duration ms", "billed ms", "max MB", "memory"):
        table.add_column(column, justify="left" if column in ("request", "start") else "right")
    for event in rows:
        r = event.report
        assert r is not None
        table.add_row(
            r.request_id[:8],
            "cold" if r.cold_start else "warm",
            f"{r.init_duration_ms:.2f}" if r.init_duration_ms is not None else "",
            f"{r.duration_ms:.2f}",
            str(r.billed_duration_ms),
            str(r.max_memory_used_mb),
            str(r.memory_size_mb),
        )
    err_console().print(table)
