"""Parse Lambda's ``REPORT`` log line (from a log tail, CloudWatch, or our local invoke).

Example (fields are tab-separated in real logs)::

    REPORT RequestId: 8f5c1c2e-... Duration: 12.34 ms Billed Duration: 13 ms
    Memory Size: 128 MB Max Memory Used: 70 MB Init Duration: 250.12 ms
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPORT = re.compile(r"^REPORT\s+RequestId:\s*(?P<id>\S+)(?P<rest>.*)$", re.MULTILINE)
_FIELD = re.compile(
    r"(?P<name>Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration"
    r"|Restore Duration|Billed Restore Duration):\s*(?P<value>\d+(?:\.\d+)?)\s*(?:ms|MB)"
)
_TRACE = re.compile(r"XRAY TraceId:\s*(\S+)")


@dataclass(slots=True, frozen=True)
class LambdaReport:
    """One invocation's figures as Lambda reports them."""

    request_id: str
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    restore_duration_ms: float | None = None
    xray_trace_id: str | None = None

    @property
    def cold_start(self) -> bool:
        """Lambda prints ``Init Duration`` only on a cold start."""
        return self.init_duration_ms is not None


def parse_report_line(text: str) -> LambdaReport | None:
    """The first REPORT line in ``text`` (one line or a whole log tail), or None."""
    match = _REPORT.search(text)
    if match is None:
        return None
    # `Duration` must not match inside `Billed Duration`/`Init Duration`: scan left to right.
    fields: dict[str, float] = {}
    for field in _FIELD.finditer(match.group("rest")):
        fields.setdefault(field.group("name"), float(field.group("value")))
    required = ("Duration", "Billed Duration", "Memory Size", "Max Memory Used")
    if any(name not in fields for name in required):
        return None
    trace = _TRACE.search(match.group("rest"))
    return LambdaReport(
        request_id=match.group("id"),
        duration_ms=fields["Duration"],
        billed_duration_ms=int(fields["Billed Duration"]),
        memory_size_mb=int(fields["Memory Size"]),
        max_memory_used_mb=int(fields["Max Memory Used"]),
        init_duration_ms=fields.get("Init Duration"),
        restore_duration_ms=fields.get("Restore Duration"),
        xray_trace_id=trace.group(1) if trace else None,
    )


def format_report_line(report: LambdaReport) -> str:
    """The REPORT line Lambda would print for ``report`` (tab-separated)."""
    parts = [
        f"REPORT RequestId: {report.request_id}",
        f"Duration: {report.duration_ms:.2f} ms",
        f"Billed Duration: {report.billed_duration_ms} ms",
        f"Memory Size: {report.memory_size_mb} MB",
        f"Max Memory Used: {report.max_memory_used_mb} MB",
    ]
    if report.init_duration_ms is not None:
        parts.append(f"Init Duration: {report.init_duration_ms:.2f} ms")
    return "\t".join(parts) + "\t"
