"""``lambda-logs``: a function's CloudWatch Logs, REPORT lines parsed into cold/warm figures.

Events come from ``FilterLogEvents`` on ``/aws/lambda/<function>`` since a start time
(``--since 10m``), page by page; ``--filter TEXT`` keeps the events whose message contains TEXT
(REPORT lines are always kept for the table). ``follow`` polls again from the newest timestamp
seen, skipping event ids already shown, until its ``stop`` callback says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.serverless.aws import error_code
from letrade_cli.serverless.deploy.extras import log_group_name
from letrade_cli.serverless.report import LambdaReport, parse_report_line

_SINCE = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


@dataclass(slots=True, frozen=True)
class LogEvent:
    """One CloudWatch Logs event, and its REPORT figures when it is a REPORT line."""

    event_id: str
    timestamp_ms: int
    stream: str
    message: str
    report: LambdaReport | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data: dict[str, Any] = {
            "timestamp_ms": self.timestamp_ms,
            "stream": self.stream,
            "message": self.message.rstrip("\n"),
        }
        if self.report is not None:
            data["report"] = report_row(self.report)
        return data


def report_row(report: LambdaReport) -> dict[str, Any]:
    """The columns of the cold/warm table."""
    return {
        "request_id": report.request_id,
        "cold": report.cold_start,
        "init_duration_ms": report.init_duration_ms,
        "duration_ms": report.duration_ms,
        "billed_ms": report.billed_duration_ms,
        "max_memory_used_mb": report.max_memory_used_mb,
        "memory_size_mb": report.memory_size_mb,
    }


def parse_since(text: str, now_ms: int | None = None) -> int:
    """``10m`` / ``2h`` / ``30s`` / ``1d`` -> a start time in epoch milliseconds."""
    match = _SINCE.match(text.strip())
    if match is None:
        raise UsageError(f"--since {text!r}: expected a number and s, m, h or d", hint="e.g. 10m")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    start = now - int(match.group(1)) * _UNIT_MS[match.group(2)]
    if start < 0:
        raise UsageError(
            f"--since {text!r} reaches back before 1970", hint="CloudWatch keeps at most years: 30d"
        )
    return start


def fetch_events(
    logs: Any, function_name: str, start_ms: int, text_filter: str | None = None
) -> list[LogEvent]:
    """Every event since ``start_ms`` (all pages), oldest first, filtered by ``text_filter``."""
    from botocore.exceptions import ClientError

    group = log_group_name(function_name)
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    events: list[LogEvent] = []
    try:
        while True:
            page = logs.filter_log_events(**kwargs)
            for raw in page.get("events", []):
                event = _event(raw)
                if text_filter is None or text_filter in event.message or event.report:
                    events.append(event)
            token = page.get("nextToken")
            if not token or token == kwargs.get("nextToken"):
                break
            kwargs["nextToken"] = token
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise ConfigError(
                f"no log group {group}",
                hint="the function has not run yet, or it is not deployed in this region",
            ) from exc
        raise
    return sorted(events, key=lambda e: (e.timestamp_ms, e.event_id))


def follow_events(
    logs: Any,
    function_name: str,
    start_ms: int,
    text_filter: str | None = None,
    *,
    stop: Callable[[], bool],
    wait: Callable[[], object],
) -> Iterator[LogEvent]:
    """Yield new events as they arrive, polling until ``stop()``; ``wait()`` between polls."""
    seen: set[str] = set()
    since = start_ms
    while not stop():
        for event in fetch_events(logs, function_name, since, text_filter):
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
            since = max(since, event.timestamp_ms)
            yield event
        if stop():
            return
        wait()


def summarize(events: list[LogEvent]) -> dict[str, Any]:
    """Counts and medians over the REPORT lines: cold starts, init and warm durations."""
    reports = [e.report for e in events if e.report is not None]
    cold = [r for r in reports if r.cold_start]
    warm = [r for r in reports if not r.cold_start]

    def median(values: list[float]) -> float | None:
        ordered = sorted(values)
        return round(ordered[len(ordered) // 2], 2) if ordered else None

    return {
        "invocations": len(reports),
        "cold": len(cold),
        "warm": len(warm),
        "init_median_ms": median([r.init_duration_ms or 0.0 for r in cold]),
        "cold_duration_median_ms": median([r.duration_ms for r in cold]),
        "warm_duration_median_ms": median([r.duration_ms for r in warm]),
        "max_memory_used_mb": max((r.max_memory_used_mb for r in reports), default=None),
    }


def _event(raw: dict[str, Any]) -> LogEvent:
    message = str(raw.get("message", ""))
    return LogEvent(
        event_id=str(raw.get("eventId", f"{raw.get('timestamp')}-{hash(message)}")),
        timestamp_ms=int(raw.get("timestamp", 0)),
        stream=str(raw.get("logStreamName", "")),
        message=message,
        report=parse_report_line(message),
    )
