"""Command-line mistakes answered like every other error: one line naming the fix, exit 2.

Click prints a usage error as three lines (usage, "Try ... for help", "Error: ..."); ours are
``error: <what> — <fix>``, so scripts and people read every failure the same way. A missing
argument lists the values it can take (from the argument's own completion), and every float
option refuses ``nan`` and ``inf`` in one place instead of per command.

Installed once by ``cli.app`` on Typer's classes (like ``help.hide_flag_metavars``);
``tests/cli/test_usage_errors.py`` catches a Typer that changes them.
"""

from __future__ import annotations

import math
from typing import Any

CHOICES_SHOWN = 12  # a missing argument lists at most this many of its values


def _choices(param: Any, ctx: Any) -> list[str]:
    """The values ``param`` completes to with nothing typed (profiles, run ids ...)."""
    try:
        items = param.shell_complete(ctx, "")
    except Exception:
        return []
    return [
        str(getattr(item, "value", item))
        for item in items
        if getattr(item, "type", "plain") == "plain"
    ]


def usage_line(exc: Any) -> tuple[str, str | None]:
    """``(message, hint)`` for a Click usage error, the hint naming the choices or ``-h``."""
    from typer._click.exceptions import MissingParameter

    ctx, param = getattr(exc, "ctx", None), getattr(exc, "param", None)
    message = exc.format_message().rstrip(".")
    help_hint = f"see '{ctx.command_path} -h'" if ctx is not None else None
    if isinstance(exc, MissingParameter) and param is not None and ctx is not None:
        choices = _choices(param, ctx)
        if choices:
            shown = ", ".join(choices[:CHOICES_SHOWN])
            more = (
                f" and {len(choices) - CHOICES_SHOWN} more" if len(choices) > CHOICES_SHOWN else ""
            )
            return message, f"one of: {shown}{more}"
    return message, help_hint


def one_line_usage_errors() -> None:
    """Make Click's usage (and other Click) errors print our one line instead of three."""
    from typer._click import exceptions

    if getattr(exceptions.ClickException, "_letrade_one_line", False):
        return

    def show(self: Any, file: Any = None) -> None:
        from letrade_cli.ui.console import print_error

        if isinstance(self, exceptions.UsageError):
            print_error(*usage_line(self))
        else:
            print_error(self.format_message())

    exceptions.ClickException.show = show  # type: ignore[method-assign]
    exceptions.UsageError.show = show  # type: ignore[method-assign]
    exceptions.ClickException._letrade_one_line = True  # type: ignore[attr-defined]


def finite_floats() -> None:
    """Every float option and argument refuses ``nan``/``inf`` (``--hours nan``, ``--rate inf``)."""
    from typer._click.exceptions import BadParameter
    from typer.core import _TyperParameter

    if getattr(_TyperParameter, "_letrade_finite", False):
        return
    process = _TyperParameter.process_value

    def process_value(self: Any, ctx: Any, value: Any) -> Any:
        out = process(self, ctx, value)
        for item in out if isinstance(out, (list, tuple)) else (out,):
            if isinstance(item, float) and not math.isfinite(item):
                raise BadParameter(f"{item} is not a finite number", ctx=ctx, param=self)
        return out

    _TyperParameter.process_value = process_value  # type: ignore[method-assign]
    _TyperParameter._letrade_finite = True  # type: ignore[attr-defined]
