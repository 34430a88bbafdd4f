from __future__ import annotations

from letrade_cli.serverless.report import LambdaReport, format_report_line, parse_report_line

# Recorded from CloudWatch / `invoke --log-type Tail` (tab-separated, trailing tab).
COLD = (
    "START RequestId: 6f3c9a52-1f0e-4a35-9d0b-2f1c8c5e7a10 Version: $LATEST\n"
    "END RequestId: 6f3c9a52-1f0e-4a35-9d0b-2f1c8c5e7a10\n"
    "REPORT RequestId: 6f3c9a52-1f0e-4a35-9d0b-2f1c8c5e7a10\tDuration: 12.34 ms\t"
    "Billed Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t"
    "Init Duration: 250.12 ms\t\n"
)
WARM = (
    "REPORT RequestId: 0a1b2c3d-0000-4000-8000-000000000001\tDuration: 3.01 ms\t"
    "Billed Duration: 4 ms\tMemory Size: 256 MB\tMax Memory Used: 71 MB\t"
)
XRAY = (
    "REPORT RequestId: abc Duration: 101.00 ms Billed Duration: 102 ms Memory Size: 512 MB "
    "Max Memory Used: 90 MB Init Duration: 400.50 ms XRAY TraceId: 1-5e1b4151-5ac6c58f "
    "SegmentId: 6e2a SamplingDecision: Sampled"
)
SNAPSTART = (
    "REPORT RequestId: s1 Duration: 20.00 ms Billed Duration: 120 ms Memory Size: 1024 MB "
    "Max Memory Used: 100 MB Restore Duration: 250.00 ms Billed Restore Duration: 100 ms"
)


def test_cold_report_in_a_log_tail() -> None:
    report = parse_report_line(COLD)
    assert report == LambdaReport(
        request_id="6f3c9a52-1f0e-4a35-9d0b-2f1c8c5e7a10",
        duration_ms=12.34,
        billed_duration_ms=13,
        memory_size_mb=128,
        max_memory_used_mb=70,
        init_duration_ms=250.12,
    )
    assert report.cold_start


def test_warm_report_has_no_init() -> None:
    report = parse_report_line(WARM)
    assert report is not None and not report.cold_start and report.duration_ms == 3.01


def test_xray_and_snapstart_fields() -> None:
    xray = parse_report_line(XRAY)
    assert xray is not None and xray.xray_trace_id == "1-5e1b4151-5ac6c58f"
    assert xray.init_duration_ms == 400.5
    snap = parse_report_line(SNAPSTART)
    assert snap is not None and snap.restore_duration_ms == 250.0 and snap.billed_duration_ms == 120


def test_no_report_or_truncated() -> None:
    assert parse_report_line("START RequestId: x\nEND RequestId: x\n") is None
    assert parse_report_line("REPORT RequestId: x Duration: 1.0 ms") is None


def test_format_round_trips() -> None:
    report = parse_report_line(COLD)
    assert report is not None and parse_report_line(format_report_line(report)) == report
