r"""Help-text conventions every command follows (reuse these for new commands).

- Every command gets one or two runnable examples: ``epilog=examples(("cmd", "what it does"))``.
- A boolean option is a flag named for what it does (``--json``, ``--no-index``), declared with
  one name (``typer.Option("--json")``) so help shows no ``--no-...`` twin and no metavar; a pair
  (``--pin/--no-pin``) only when both spellings mean something.
- Square brackets in help text are Rich markup: write ``\\[default: x]`` in the string.
- An option fed by an environment variable declares it with ``envvar=`` so help prints
  ``[env var: NAME]`` next to it; when the variable is read elsewhere (a settings resolver),
  end the help text with :func:`env_note`.
- ``--profile`` completes profile names: ``autocompletion=complete_profile``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def examples(*items: tuple[str, str]) -> str:
    """An epilog listing ``(command, what it does)`` pairs under "Examples"."""
    lines = ["Examples:"]
    for command, what in items:
        lines.append(f"  {command}" + (f"\n      {what}" if what else ""))
    return "\n".join(lines)


def env_note(*names: str) -> str:
    """The ``[env var: NAME]`` suffix Typer prints, for variables a resolver reads itself."""
    return f" \\[env var: {', '.join(names)}]"  # escaped: Rich would read [..] as markup


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
