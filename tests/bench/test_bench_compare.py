"""The pure parts of `letrade bench`: comparison direction, import-log parsing, claims."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from letrade_cli.bench.claims import claims
from letrade_cli.bench.common import median, median_run, metric
from letrade_cli.bench.compare import compare
from letrade_cli.bench.startup import heavy_imported, parse_importtime


def doc(**values: tuple[float, str]) -> dict[str, Any]:
    return {"metrics": [metric(name, v, "u", better) for name, (v, better) in values.items()]}  # type: ignore[arg-type]


positive = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False)


@given(old=positive, new=positive, fail_over=st.floats(min_value=0, max_value=500))
def test_a_regression_is_a_change_in_the_bad_direction(
    old: float, new: float, fail_over: float
) -> None:
    for better in ("lower", "higher"):
        result = compare(doc(x=(new, better)), doc(x=(old, better)), fail_over)
        (change,) = result.changes
        old_r, new_r = change.old, change.new  # rounded as stored
        worse_pct = (
            (new_r - old_r) / old_r * 100 if better == "lower" else (old_r - new_r) / old_r * 100
        )
        assert result.failed == (worse_pct > fail_over)


def test_compare_reports_only_without_a_threshold_and_lists_unmatched_metrics() -> None:
    result = compare(
        doc(a=(100.0, "lower"), b=(1.0, "higher")), doc(a=(1.0, "lower"), c=(1.0, "lower")), None
    )
    assert not result.failed and [c.name for c in result.changes] == ["a"]
    assert result.only_new == ["b"] and result.only_old == ["c"]
    assert result.as_dict()["changes"][0]["change_pct"] == 9900.0


def test_medians() -> None:
    assert (
        median([3.0, 1.0, 2.0]) == 2.0 and median([1.0, 2.0, 3.0, 4.0]) == 2.5 and median([]) == 0.0
    )
    runs = [{"r": 3, "complete": True}, {"r": 1, "complete": False}, {"r": 2}, {"r": 9}]
    assert median_run(runs, "r") == {"r": 3, "complete": True}


def test_importtime_log_is_parsed_with_depth_and_heavy_modules_found() -> None:
    log = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       191 |        191 |   _io\n"
        "import time:      1000 |       5000 | letrade_cli.cli.app\n"
        "import time:       200 |        900 |   aiohttp.client\n"
        "import time:       100 |        100 |     letrade_cli.connectors_unrelated\n"
        "not an import line\n"
    )
    rows = parse_importtime(log)
    assert rows[1] == ("letrade_cli.cli.app", 0, 1000, 5000)
    assert rows[2][:2] == ("aiohttp.client", 1)
    assert heavy_imported([r[0] for r in rows]) == ["aiohttp"]


def test_claims_say_what_was_not_measured_and_never_call_a_hit_rate_comparable() -> None:
    cache_doc = {
        "hit_rate": [
            {
                "results": {"PriceCache": 0.95},
                "symbols": 200,
                "capacity": 1000,
                "ttl_ms": 500.0,
                "rate": 1e4,
            }
        ]
    }
    rows = {row["claim"]: row for row in claims({"cache": cache_doc})}
    assert rows["90 % cache hit rate"]["ours"].startswith("95.0 %")
    assert rows["90 % cache hit rate"]["comparable"] == "no"
    assert rows["15,000 msg/s"]["ours"].startswith("not measured in this run")
    assert rows["0.86 ms total"]["comparable"] == "no"
