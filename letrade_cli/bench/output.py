"""Everything a mode does with its result document: tables, compare, JSON, HTML (shared)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letrade_cli.bench.compare import Comparison, compare, load_saved
from letrade_cli.core.errors import LetradeError
from letrade_cli.core.files import check_writable, write_output


@dataclass(slots=True)
class OutputOptions:
    """The shared flags: ``--json --out --compare --fail-over --html``."""

    json_output: bool = False
    out: Path | None = None
    compare: Path | None = None
    fail_over: float | None = None
    html: Path | None = None

    def validate(self) -> dict[str, Any] | None:
        """Check the flags before a run; return the saved document for ``--compare``.

        Raises:
            ValueError: a flag that cannot work (one line naming it).
        """
        if self.fail_over is not None and self.compare is None:
            raise ValueError("--fail-over needs --compare FILE (the saved run to compare with)")
        if self.fail_over is not None and self.fail_over < 0:
            raise ValueError("--fail-over must be a percentage of 0 or more")
        for flag, path in (("--out", self.out), ("--html", self.html)):
            if path is not None:
                check_writable(path, flag)  # before the run, not after it: nothing measured lost
        if self.html is not None:
            try:
                import plotly  # noqa: F401
            except ImportError as exc:
                raise ValueError("--html needs plotly: pip install 'letrade-cli[bench]'") from exc
        return None if self.compare is None else load_saved(self.compare)


def publish(
    doc: dict[str, Any], options: OutputOptions, saved: dict[str, Any] | None
) -> Comparison | None:
    """Render to stderr, compare with ``saved``, write ``--out``/``--html``, JSON to stdout.

    Returns the comparison (None without ``--compare``); the caller turns a failed one into a
    non-zero exit after everything is written.
    """
    from letrade_cli.bench.render import render, render_comparison
    from letrade_cli.ui.console import err_console

    console = err_console()
    render(doc, console)
    comparison = None
    if saved is not None:
        comparison = compare(doc, saved, options.fail_over)
        doc["comparison"] = comparison.as_dict()
        render_comparison(comparison, console)
    text = json.dumps(doc, indent=2)
    failed: list[LetradeError] = []  # a file that cannot be written must not cost the others
    if options.out is not None:
        try:
            write_output(options.out, text + "\n", "the results")
        except LetradeError as exc:
            failed.append(exc)
    if options.html is not None:
        from letrade_cli.bench.html import page

        try:
            write_output(options.html, page(doc), "the page")
            console.print(f"wrote {options.html}", style="dim", highlight=False)
        except LetradeError as exc:
            failed.append(exc)
    if options.json_output:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    if failed:
        raise failed[0]
    return comparison
