"""--invoke figures from recorded REPORT lines: cold vs warm, percentiles, no invented numbers."""

from __future__ import annotations

import base64
import io
from typing import Any

from letrade_cli.serverless.deploy.invoke import NO_REPORT_NOTE, invoke_many, percentiles

COLD = (
    "START RequestId: 1 Version: $LATEST\nEND RequestId: 1\n"
    "REPORT RequestId: 1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\t"
    "Max Memory Used: 70 MB\tInit Duration: 250.12 ms\t\n"
)


def warm_line(n: int, ms: float) -> str:
    return (
        f"REPORT RequestId: {n}\tDuration: {ms:.2f} ms\tBilled Duration: {int(ms) + 1} ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 71 MB\t\n"
    )


class FakeLambda:
    """Answers invoke() with recorded log tails, in order."""

    def __init__(self, tails: list[str | None]) -> None:
        self.tails = tails
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        tail = self.tails[len(self.calls) - 1]
        response: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(b"{}")}
        if tail is not None:
            response["LogResult"] = base64.b64encode(tail.encode()).decode()
        return response


def test_cold_then_warm_percentiles() -> None:
    tails: list[str | None] = [COLD] + [warm_line(i, float(i)) for i in range(2, 12)]
    fake = FakeLambda(tails)
    summary = invoke_many(fake, "letrade-collector", "live", warm=10).to_dict()
    assert fake.calls[0]["LogType"] == "Tail" and fake.calls[0]["Qualifier"] == "live"
    assert summary["invokes"] == 11 and summary["note"] is None
    assert summary["cold"]["init_duration_ms"] == 250.12
    assert summary["cold"]["duration_ms"] == 12.5
    warm = summary["warm_duration_ms"]
    assert warm["n"] == 10 and warm["p50"] == 6.0 and warm["p90"] == 10.0 and warm["max"] == 11.0
    assert summary["samples"][1]["cold"] is False
    assert summary["round_trip_ms"]["n"] == 11


def test_no_report_means_no_numbers() -> None:
    summary = invoke_many(FakeLambda([None, None]), "f", None, warm=1).to_dict()
    assert summary["note"] == NO_REPORT_NOTE
    assert summary["cold"] is None and summary["warm_duration_ms"] is None
    assert all(s["duration_ms"] is None and s["cold"] is None for s in summary["samples"])


def test_percentiles_nearest_rank() -> None:
    assert percentiles([]) is None
    assert percentiles([5.0]) == {
        "n": 1,
        "min": 5.0,
        "p50": 5.0,
        "p90": 5.0,
        "p99": 5.0,
        "max": 5.0,
    }
    values = [float(v) for v in range(1, 101)]
    result = percentiles(values)
    assert result is not None and (result["p50"], result["p90"], result["p99"]) == (
        50.0,
        90.0,
        99.0,
    )


class FailingLambda(FakeLambda):
    """Answers as Lambda does when the handler raised: FunctionError and the error document."""

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        response = super().invoke(**kwargs)
        response["FunctionError"] = "Unhandled"
        response["Payload"] = io.BytesIO(
            b'{"errorMessage": "2 of 2 markets failed (every market failed): KRW-BTC: HTTP 500",'
            b' "errorType": "CollectionFailed", "stackTrace": ["  File ..."]}'
        )
        return response


def test_an_invoke_that_failed_carries_the_functions_error() -> None:
    # Reproduction (issue 19): `--invoke` whose invocation errored exited 0 with no error text.
    summary = invoke_many(FailingLambda([COLD]), "fn", None)
    sample = summary.to_dict()["samples"][0]
    assert sample["function_error"] == "Unhandled"
    assert sample["error"] == (
        "CollectionFailed: 2 of 2 markets failed (every market failed): KRW-BTC: HTTP 500"
    )
    assert summary.to_dict()["errors"] == 1
