"""``--compare FILE [--fail-over PCT]``: this run's headline metrics against a saved run's.

Only metrics present in both documents are compared, by name. A metric's *regression* is its
change in the bad direction, in percent of the saved value (``better: lower`` and the value rose,
or ``better: higher`` and it fell). With ``fail_over`` set, any regression above it fails the
comparison; without it the comparison only reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letrade_cli.bench.common import Metric


@dataclass(slots=True, frozen=True)
class Change:
    """One metric, before and after."""

    name: str
    unit: str
    better: str
    old: float
    new: float

    @property
    def change_pct(self) -> float | None:
        """Signed change in percent of the old value; None when the old value is 0."""
        if self.old == 0:
            return None
        return (self.new - self.old) / abs(self.old) * 100.0

    @property
    def regression_pct(self) -> float:
        """How much worse, in percent (0 or negative when it improved or stayed)."""
        change = self.change_pct
        if change is None:
            return 0.0
        return change if self.better == "lower" else -change


@dataclass(slots=True)
class Comparison:
    """Every shared metric's change, the threshold and the verdict."""

    changes: list[Change]
    fail_over: float | None
    only_old: list[str]
    only_new: list[str]

    @property
    def regressions(self) -> list[Change]:
        """Changes past ``fail_over`` (none when no threshold was set)."""
        if self.fail_over is None:
            return []
        return [c for c in self.changes if c.regression_pct > self.fail_over]

    @property
    def failed(self) -> bool:
        """True when any metric regressed past the threshold."""
        return bool(self.regressions)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (stored under ``comparison`` in the result document)."""
        return {
            "fail_over_pct": self.fail_over,
            "failed": self.failed,
            "changes": [
                {
                    "name": c.name,
                    "unit": c.unit,
                    "better": c.better,
                    "old": c.old,
                    "new": c.new,
                    "change_pct": None if c.change_pct is None else round(c.change_pct, 2),
                    "regression": c in self.regressions,
                }
                for c in self.changes
            ],
            "only_in_saved": self.only_old,
            "only_in_this_run": self.only_new,
        }


def metrics_of(doc: dict[str, Any]) -> list[Metric]:
    """A document's metrics (a single mode's, or ``all``'s which holds every mode's)."""
    metrics = doc.get("metrics")
    if not isinstance(metrics, list):
        raise ValueError("not a letrade bench result (no 'metrics' list)")
    return metrics


def load_saved(path: Path) -> dict[str, Any]:
    """Read a saved result document; ``ValueError`` naming the file when it is not one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"{path} is not a letrade bench result")
    try:
        metrics_of(doc)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    return doc


def compare(new: dict[str, Any], old: dict[str, Any], fail_over: float | None) -> Comparison:
    """Compare ``new`` (this run) with ``old`` (a saved run) metric by metric."""
    old_by_name = {m["name"]: m for m in metrics_of(old)}
    new_by_name = {m["name"]: m for m in metrics_of(new)}
    changes = [
        Change(name, m["unit"], m["better"], float(old_by_name[name]["value"]), float(m["value"]))
        for name, m in new_by_name.items()
        if name in old_by_name
    ]
    return Comparison(
        changes=changes,
        fail_over=fail_over,
        only_old=sorted(set(old_by_name) - set(new_by_name)),
        only_new=sorted(set(new_by_name) - set(old_by_name)),
    )


def lines(comparison: Comparison) -> list[tuple[str, str]]:
    """``(text, style)`` per changed metric and a closing verdict, for the console."""
    out = []
    for c in comparison.changes:
        pct = c.change_pct
        text = f"{c.name}: {c.old:g} -> {c.new:g} {c.unit}"
        text += "" if pct is None else f" ({pct:+.1f} %, {c.better} is better)"
        regressed = c in comparison.regressions
        style = "red" if regressed else "green" if c.regression_pct < 0 else ""
        out.append((text + (" REGRESSION" if regressed else ""), style))
    if not comparison.changes:
        out.append(("no metric in common with the saved run", "yellow"))
    elif comparison.fail_over is None:
        out.append(("compared (no --fail-over: report only)", ""))
    elif comparison.failed:
        names = ", ".join(c.name for c in comparison.regressions)
        out.append((f"FAILED: worse by more than {comparison.fail_over:g} %: {names}", "red"))
    else:
        out.append((f"ok: nothing worse by more than {comparison.fail_over:g} %", "green"))
    return out
