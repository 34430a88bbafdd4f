"""``letrade bench restart`` in short: 20 trials per dialect, every count 0 (behaviour, no timing).

Each trial runs ``letrade trade run`` against the sim behind a fault proxy, kills it with SIGKILL
and resumes it, or takes its network down or stalls it, then stops it with SIGTERM and compares
the venue's orders and trades with the ledger.
"""

from __future__ import annotations

import pytest

from letrade_cli.bench.restart import COUNTS, RestartBenchConfig, run_restart_benchmark


@pytest.mark.slow
@pytest.mark.chaos
def test_twenty_trials_per_dialect_leave_ledger_and_venue_in_agreement() -> None:
    doc = run_restart_benchmark(RestartBenchConfig(trials=20, seed=16))
    assert doc["dialects"]
    for name, result in doc["dialects"].items():
        assert result["trials"] == 20, name
        assert result["venue_orders"] > 20 and result["venue_fills"] > 0, name
        assert result["faults"].get("kill", 0) > 0, name
        assert result["reconciled_ns"]["count"] == result["faults"]["kill"], name
        bad = {k: v for k, v in result["counts"].items() if v}
        assert not bad, (name, bad, result["problems"])
        assert set(result["counts"]) == set(COUNTS)
