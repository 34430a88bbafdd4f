"""A root command group that builds each command only when it is run or asked for help.

Typer turns every command function into a Click command up front: it inspects each signature
and evaluates every annotation, for all commands, even for ``letrade --help``. ``LazyGroup``
keeps a table of command name -> the ``letrade_cli.cli`` module whose ``register(app)`` adds it,
and builds a module's commands on first use. ``letrade --help`` lists the commands from their
help texts alone (the modules are imported, their commands are not built).

Commands registered on the root app the usual way (``module.register(app)``) still work: they
are built eagerly, as before, and listed after the lazy ones.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup
from typer.models import DefaultPlaceholder

# command name -> module in letrade_cli.cli, in the order ``letrade --help`` lists them.
LAZY_COMMANDS: dict[str, str] = {
    "stream": "stream",
    "sim": "sim",
    "trade": "trade",
    "dryrun": "dryrun",
    "strategy": "strategy",
    "data": "data",
    "bench": "bench",
    "profiles": "profiles",
    "venues": "venues",
    "layer-build": "serverless",
    "lambda-package": "serverless",
    "lambda-deploy": "serverless",
    "lambda-invoke": "serverless",
    "lambda-logs": "serverless",
    "lambda-rollback": "serverless",
    "lambda-destroy": "serverless",
}
# One help style (issue 19): every command's help is plain Click text, like the root's, which
# also keeps Rich out of every `--help`.
COMMAND_MARKUP = None


def _value(value: Any) -> Any:
    return value.value if isinstance(value, DefaultPlaceholder) else value


def _registered(module_name: str, markup: Any) -> typer.Typer:
    """A scratch Typer holding what ``letrade_cli.cli.<module>.register`` adds."""
    module = importlib.import_module(f"letrade_cli.cli.{module_name}")
    scratch = typer.Typer(rich_markup_mode=markup, add_completion=False)
    module.register(scratch)
    return scratch


def help_stubs(module_name: str) -> dict[str, TyperCommand]:
    """``{command name: a Click command with only its help}`` of a module, building nothing."""
    scratch = _registered(module_name, None)
    out: dict[str, TyperCommand] = {}
    for info in scratch.registered_commands:
        callback = info.callback
        name = info.name or (callback.__name__.replace("_", "-") if callback else "")
        text = _value(info.help)
        text = inspect.cleandoc(text) if text else (inspect.getdoc(callback) if callback else "")
        short, hidden = _value(info.short_help), bool(_value(info.hidden))
        out[name] = TyperCommand(name=name, help=text, short_help=short, hidden=hidden)
    for group in scratch.registered_groups:
        solved = typer.main.solve_typer_info_defaults(group)
        name = solved.name or ""
        out[name] = TyperCommand(
            name=name, help=solved.help, short_help=solved.short_help, hidden=bool(solved.hidden)
        )
    return out


class LazyCommands(MutableMapping[str, Any]):
    """``TyperGroup.commands`` whose lazy entries are built on first lookup."""

    def __init__(self, eager: Mapping[str, Any], markup: Any) -> None:
        self._built: dict[str, Any] = dict(eager)
        self._markup = markup

    def is_built(self, name: str) -> bool:
        """Whether ``name`` has a real Click command already."""
        return name in self._built

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            module = LAZY_COMMANDS[name]  # KeyError: not a command
            group = typer.main.get_group(_registered(module, self._markup))
            for built_name, command in group.commands.items():
                self._built.setdefault(built_name, command)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from LAZY_COMMANDS
        yield from (name for name in self._built if name not in LAZY_COMMANDS)

    def __len__(self) -> int:
        return len(set(LAZY_COMMANDS) | set(self._built))

    def __contains__(self, name: object) -> bool:
        return name in LAZY_COMMANDS or name in self._built


class LazyGroup(TyperGroup):
    """The root group: ``LAZY_COMMANDS`` are built when run, listed from their help texts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.commands, COMMAND_MARKUP)

    def list_commands(self, ctx: Any) -> list[str]:
        """Every command name, in listing order, without building any."""
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """List every command with its short help, building none of the lazy ones."""
        commands: LazyCommands = self.commands  # type: ignore[assignment]
        stubs: dict[str, TyperCommand] = {}
        rows_in: list[tuple[str, Any]] = []
        for name in self.list_commands(ctx):
            if commands.is_built(name):
                command = commands[name]
            else:
                if name not in stubs:
                    stubs.update(help_stubs(LAZY_COMMANDS[name]))
                command = stubs.get(name) or TyperCommand(name=name)
            if not command.hidden:
                rows_in.append((name, command))
        if not rows_in:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows_in)
        rows = [(name, command.get_short_help_str(limit)) for name, command in rows_in]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
