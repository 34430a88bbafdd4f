"""Invoke a deployed function and report cold and warm figures, honestly.

Each invoke asks for ``LogType=Tail``; the base64 log tail's ``REPORT`` line gives Lambda's own
duration, billed duration, memory and, on a cold start, ``Init Duration``. The client-side round
trip (request to response, ``perf_counter_ns``) is measured separately: it includes the network
and API overhead. When no REPORT line comes back (moto, or a proxy that drops logs), the
Lambda-side figures are ``None`` and ``note`` says so; nothing is invented.

With several invokes the warm figures are nearest-rank percentiles (p50/p90/p99) over the exact
samples; there are at most a few hundred of them, so no histogram is needed.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from letrade_cli.serverless.report import LambdaReport, parse_report_line

NO_REPORT_NOTE = (
    "no REPORT line in the log tail (moto or a proxy without logs): Lambda-side durations and "
    "cold/warm are unknown; only the client round trip was measured"
)


@dataclass(slots=True)
class InvokeSample:
    """One invoke: round trip, status, and Lambda's REPORT when it came back."""

    round_trip_ms: float
    status_code: int
    function_error: str | None
    report: LambdaReport | None
    error_text: str | None = None  # "errorType: errorMessage" from the payload, on an error

    @property
    def cold(self) -> bool | None:
        """True/False from ``Init Duration``; None when there was no REPORT line."""
        return None if self.report is None else self.report.cold_start

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        report = self.report
        return {
            "round_trip_ms": round(self.round_trip_ms, 3),
            "status_code": self.status_code,
            "function_error": self.function_error,
            "error": self.error_text,
            "cold": self.cold,
            "duration_ms": report.duration_ms if report else None,
            "billed_ms": report.billed_duration_ms if report else None,
            "init_duration_ms": report.init_duration_ms if report else None,
            "max_memory_used_mb": report.max_memory_used_mb if report else None,
            "memory_mb": report.memory_size_mb if report else None,
        }


@dataclass(slots=True)
class InvokeSummary:
    """All samples plus the cold figures and warm percentiles derived from them."""

    samples: list[InvokeSample] = field(default_factory=list)

    @property
    def has_reports(self) -> bool:
        """Whether any invoke returned a REPORT line."""
        return any(s.report is not None for s in self.samples)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: samples, cold, warm percentiles, note."""
        cold = [s for s in self.samples if s.cold]
        warm = [s for s in self.samples if s.cold is False]
        rtt_warm = [s.round_trip_ms for s in self.samples[1:]] or [
            s.round_trip_ms for s in self.samples
        ]
        data: dict[str, Any] = {
            "invokes": len(self.samples),
            "errors": sum(1 for s in self.samples if s.function_error),
            "samples": [s.to_dict() for s in self.samples],
            "cold": cold[0].to_dict() if cold else None,
            "warm_duration_ms": percentiles([s.report.duration_ms for s in warm if s.report]),
            "warm_billed_ms": percentiles(
                [float(s.report.billed_duration_ms) for s in warm if s.report]
            ),
            "round_trip_ms": percentiles([s.round_trip_ms for s in self.samples]),
            "round_trip_after_first_ms": percentiles(rtt_warm),
            "note": None if self.has_reports else NO_REPORT_NOTE,
        }
        return data


def percentiles(values: list[float]) -> dict[str, float] | None:
    """Nearest-rank p50/p90/p99, min and max; None for no values."""
    if not values:
        return None
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "n": len(ordered),
        "min": round(ordered[0], 3),
        "p50": round(rank(50), 3),
        "p90": round(rank(90), 3),
        "p99": round(rank(99), 3),
        "max": round(ordered[-1], 3),
    }


def decode_log_tail(log_result: str | None) -> str:
    """The text of a base64 ``LogResult`` (empty when absent or malformed)."""
    if not log_result:
        return ""
    try:
        return base64.b64decode(log_result).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def invoke_once(lam: Any, name: str, qualifier: str | None, payload: bytes) -> InvokeSample:
    """One synchronous invoke with ``LogType=Tail``."""
    kwargs: dict[str, Any] = {"FunctionName": name, "LogType": "Tail", "Payload": payload}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    started = time.perf_counter_ns()
    response = lam.invoke(**kwargs)
    body = response["Payload"].read()
    round_trip = (time.perf_counter_ns() - started) / 1e6
    report = parse_report_line(decode_log_tail(response.get("LogResult")))
    error = response.get("FunctionError")
    return InvokeSample(
        round_trip,
        int(response.get("StatusCode", 0)),
        error,
        report,
        error_text(body) if error else None,
    )


def error_text(payload: bytes) -> str:
    """``errorType: errorMessage`` from a failed invoke's payload (Lambda's error document)."""
    try:
        document = json.loads(payload or b"{}")
    except ValueError:
        return payload.decode("utf-8", "replace").strip()[:500] or "no error text"
    if not isinstance(document, dict):
        return str(document)[:500]
    kind, message = document.get("errorType"), document.get("errorMessage")
    text = ": ".join(str(part) for part in (kind, message) if part)
    return " ".join(text.split())[:500] or "no error text"


def invoke_many(
    lam: Any, name: str, qualifier: str | None, *, warm: int = 0, payload: Any = None
) -> InvokeSummary:
    """The first invoke (cold when the function was just deployed) plus ``warm`` more."""
    body = json.dumps(payload if payload is not None else {}).encode()
    summary = InvokeSummary()
    for _ in range(1 + max(0, warm)):
        summary.samples.append(invoke_once(lam, name, qualifier, body))
    return summary
