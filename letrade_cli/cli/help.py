r"""Help-text conventions every command follows (reuse these for new commands).

- Every command gets one or two runnable examples: ``epilog=examples(("cmd", "what it does"))``.
- A boolean option is a flag named for what it does (``--json``, ``--no-index``), declared with
  one name (``typer.Option("--json")``) so help shows no ``--no-...`` twin and no metavar; a pair
  (``--pin/--no-pin``) only when both spellings mean something.
- Help is plain Click text everywhere (one style, no Rich import for ``--help``): write
  ``[default: x]`` as it should read.
- An option fed by an environment variable declares it with ``envvar=`` so help prints
  ``[env var: NAME]`` next to it; when the variable is read elsewhere (a settings resolver),
  end the help text with :func:`env_note`.
- ``--profile`` completes profile names: ``autocompletion=complete_profile``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import typer


def examples(*items: tuple[str, str]) -> str:
    """An epilog listing ``(command, what it does)`` pairs under "Examples"."""
    lines = ["\b", "Examples:"]  # \b: Click prints the paragraph as written (no rewrapping)
    for command, what in items:
        lines.append(f"  {command}" + (f"\n      {what}" if what else ""))
    return "\n".join(lines)


def env_note(*names: str) -> str:
    """The ``[env var: NAME]`` suffix Typer prints, for variables a resolver reads itself."""
    return f" [env var: {', '.join(names)}]"


def complete_profile(incomplete: str) -> list[str]:
    """Complete ``--profile`` with the names ``letrade profiles list`` shows."""
    from letrade_cli.config.profiles import complete_profile_name

    return complete_profile_name(incomplete)


def hide_flag_metavars() -> None:
    """Show no ``<bool>`` type next to flags (``--json``, ``--help``) in rich help.

    Typer prints a ``<type>`` column for every option; for a flag it is noise. Applied once by
    ``cli.app`` to Typer's option class, so every command (and Typer's own ``--help`` and
    completion options) follows it; ``tests/cli/test_help.py`` catches a Typer that changes it.
    """
    from typer.core import TyperOption

    if getattr(TyperOption, "_letrade_flag_metavar", False):
        return
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None:  # an older Typer prints no type column at all
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if self.is_bool_flag and self.metavar is None:
            return None
        return shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
    TyperOption._letrade_flag_metavar = True  # type: ignore[attr-defined]


def complete_choices(values: Iterable[str]) -> Callable[[str], list[str]]:
    """A completer offering ``values`` (venues, channels ...) that start with what was typed."""
    options = tuple(values)

    def complete(incomplete: str) -> list[str]:
        return [value for value in options if value.startswith(incomplete)]

    return complete


def complete_venues(incomplete: str) -> list[str]:
    """Complete ``--venue`` from the venue registry (imported only when completing)."""
    from letrade_cli.config.stream import venue_names

    return [name for name in venue_names() if name.startswith(incomplete)]


def complete_channels(incomplete: str) -> list[str]:
    """Complete ``--channel`` with every channel some venue's dialect streams."""
    from letrade_cli.config.stream import channel_names, venue_names

    names = sorted({c for venue in venue_names() for c in channel_names(venue)})
    return [name for name in names if name.startswith(incomplete)]


_PLAIN_TYPES = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "FLOAT",
    "bool": "BOOLEAN",
    "Path": "PATH",
    "file": "FILE",
    "directory": "DIRECTORY",
    "int range": "INTEGER",
    "float range": "FLOAT",
    "Decimal": "DECIMAL",
}


def plain_type(label: str) -> str:
    """``<list[str]>`` -> ``TEXT``, ``<int range>`` -> ``INTEGER``: one plain style, as Click's."""
    label = label.strip("<>")
    while label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]  # a repeatable option says so in its help text
    return _PLAIN_TYPES.get(label, label if "|" in label else label.upper())


def plain_metavars() -> None:
    """Show ``SYMBOLS...``, ``FLOAT``, ``PATH`` in help instead of ``<list[str]>``, ``{run_id}``.

    Typer 0.29 prints types as ``<type>`` and required arguments as ``{name}``; help everywhere
    else (Click, pip, git) uses upper-case names. Patched once on Typer's parameter classes.
    """
    from typer.core import TyperArgument, _TyperParameter

    if getattr(_TyperParameter, "_letrade_plain", False):
        return
    display_type = getattr(_TyperParameter, "display_type", None)
    usage_name = getattr(TyperArgument, "_usage_display_name", None)
    raw_name = getattr(_TyperParameter, "display_name_raw", None)
    if display_type is None or usage_name is None or raw_name is None:
        return  # another Typer: tests/cli/test_help.py notices

    def plain_display_type(self: Any, ctx: Any) -> str:
        return plain_type(display_type(self, ctx))

    def argument_name(self: Any) -> str:
        return self.metavar if self.metavar is not None else str(self.name).upper()

    def argument_usage(self: Any) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def argument_type(self: Any, ctx: Any) -> str | None:
        shown = plain_type(display_type(self, ctx))
        return None if shown == "TEXT" else shown  # the name says what it is

    _TyperParameter.display_type = plain_display_type  # type: ignore[method-assign]
    TyperArgument.display_name_raw = property(argument_name)  # type: ignore[assignment,method-assign]
    TyperArgument._usage_display_name = argument_usage  # type: ignore[method-assign]
    TyperArgument.display_type_rich = argument_type  # type: ignore[method-assign]
    _TyperParameter._letrade_plain = True  # type: ignore[attr-defined]


def complete_run_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Complete a dry run's id from the ledger ``--db`` names (else the default), newest first."""
    from pathlib import Path

    from letrade_cli.trading.ledger import Ledger, default_db_path

    path = Path(ctx.params.get("db") or default_db_path())
    if not path.is_file():
        return []  # completing never creates a ledger
    ledger = Ledger(path, read_only=True)
    try:
        ids = [str(run["run_id"]) for run in ledger.runs()]
    finally:
        ledger.close()
    return [run_id for run_id in ids if run_id.startswith(incomplete)]


def _lambda_profile(ctx: typer.Context) -> Any:
    import os

    from letrade_cli.cli.lambda_common import PROFILE_ENV
    from letrade_cli.serverless.profile import load_lambda_profile

    # --profile after FUNCTION on the command line is not parsed yet: its variable, its default
    name = ctx.params.get("profile") or os.environ.get(PROFILE_ENV) or "lambda"
    return load_lambda_profile(name)


def complete_functions(ctx: typer.Context, incomplete: str) -> list[str]:
    """Complete a function name from the Lambda profile (``--profile``, else the built-in)."""
    return [name for name in _lambda_profile(ctx).functions if name.startswith(incomplete)]


def complete_layers(ctx: typer.Context, incomplete: str) -> list[str]:
    """Complete a layer name from the Lambda profile's ``layers:``."""
    return [name for name in _lambda_profile(ctx).layers if name.startswith(incomplete)]
