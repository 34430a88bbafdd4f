"""Strategies that ship, and loading a user's own class by ``module:Class`` or ``file.py:Class``."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from letrade_cli.core.errors import ConfigError, LetradeError, UsageError
from letrade_cli.trading.strategies.base import Strategy, StrategyContext

BUILTIN = {
    "sma-cross": "letrade_cli.trading.strategies.sma_cross:SmaCross",
    "mean-reversion": "letrade_cli.trading.strategies.mean_reversion:MeanReversion",
    "breakout": "letrade_cli.trading.strategies.breakout:Breakout",
    "rsi-reversion": "letrade_cli.trading.strategies.rsi_reversion:RsiReversion",
}


def load_strategy(name: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """A built-in strategy (``sma_cross`` = ``sma-cross``), ``module:Class`` or ``file.py:Class``.

    The class is called with the parameters (the profile's ``trading.strategy.params`` with the
    ``--param`` values over them).
    """
    cls, where = strategy_class(name)
    try:
        strategy: Any = cls(dict(params or {}))
    except LetradeError:
        raise
    except Exception as exc:  # a bug in the user's __init__: one line, file:line
        raise UsageError(
            f"{_frame_of(exc, where)}: {type(exc).__name__}: {exc} (in {cls.__name__}.__init__)"
        ) from None
    if not callable(getattr(strategy, "on_tick", None)):
        raise UsageError(f"{name} has no on_tick(tick, ctx) method")
    if not getattr(strategy, "name", None):
        strategy.name = BUILTIN.get(name.replace("_", "-"), name)
    return strategy


def strategy_class(name: str) -> tuple[type, str]:
    """The class ``name`` names, and the file it was loaded from (for error lines)."""
    target = BUILTIN.get(name.replace("_", "-"), name)
    if ":" not in target:
        raise UsageError(
            f"unknown strategy '{name}'",
            hint=f"use one of: {', '.join(BUILTIN)}, module:Class or path/to/file.py:Class",
        )
    source, _, class_name = target.rpartition(":")
    if _is_path(source):
        module, where = _import_file(source), source
    else:
        module = _import_module(source)
        where = getattr(module, "__file__", None) or source
    cls = getattr(module, class_name, None)
    if cls is None:
        found = _strategies_in(module)
        raise UsageError(
            f"{where} has no class '{class_name}'",
            hint=f"its strategies: {', '.join(found)}" if found else "it defines no strategy",
        )
    if not isinstance(cls, type) or not callable(getattr(cls, "on_tick", None)):
        raise UsageError(
            f"{_line_of(cls, where)}: {class_name} is not a strategy",
            hint="subclass letrade_cli.strategy.Strategy, or give it an on_tick method",
        )
    return cls, where


def is_typed(cls: type) -> bool:
    """Whether ``cls`` declares its parameters (a :class:`~.api.Strategy` subclass)."""
    from letrade_cli.trading.strategies.api import Strategy as Base

    return isinstance(cls, type) and issubclass(cls, Base)


def parse_params(items: Iterable[str]) -> dict[str, str]:
    """``["fast=12", "slow=40"]`` (``--param``) -> ``{"fast": "12", "slow": "40"}``."""
    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise UsageError(
                f"--param '{item}' is not name=value", hint="e.g. --param fast=12 (repeat it)"
            )
        out[key] = value.strip()
    return out


def merge_params(
    name: str, base: Mapping[str, Any] | None, overrides: Iterable[str] | None
) -> dict[str, Any]:
    """The profile's params with ``--param name=value`` over them, as the run stores them.

    A typed strategy coerces the strings itself (``Param``); an older class gets each value
    parsed as a YAML scalar (``12`` -> 12, ``true`` -> True, ``1.5`` -> 1.5).
    """
    merged: dict[str, Any] = dict(base or {})
    given = parse_params(overrides or ())
    if not given:
        return merged
    cls, _ = strategy_class(name)
    if is_typed(cls):
        known = cls.params()  # type: ignore[attr-defined]
        for key, value in given.items():
            if key not in known:
                raise ConfigError(
                    f"strategy {name} has no parameter {key!r}",
                    hint=f"its parameters: {', '.join(known) or 'none'}",
                )
            merged[key] = known[key].coerce(value)
            if isinstance(merged[key], (str, bool, int, float)):
                continue
            merged[key] = value  # Decimal: stored as its text (the run's config is JSON)
    else:
        import yaml

        for key, value in given.items():
            try:
                parsed = yaml.safe_load(value) if value else value
            except yaml.YAMLError:
                parsed = value
            scalar = parsed is None or isinstance(parsed, (str, bool, int, float))
            merged[key] = parsed if scalar else value
    return merged


def _is_path(source: str) -> bool:
    return source.endswith(".py") or "/" in source or os.sep in source


def _module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    return f"letrade_user_strategy_{path.stem}_{digest}"


def _import_file(source: str) -> ModuleType:
    path = Path(source).expanduser()
    if not path.is_file():
        raise UsageError(f"no strategy file {source}", hint="give path/to/file.py:ClassName")
    full = path.resolve()
    module_name = _module_name(full)
    spec = importlib.util.spec_from_file_location(module_name, full)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {source} as Python", hint="a strategy file ends in .py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses, pickling and typing look it up
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(module_name, None)
        if not isinstance(exc, Exception):
            raise
        raise _import_error(exc, source, str(full)) from None
    return module


def _import_module(module_name: str) -> ModuleType:
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:  # module:Class from the current directory, without PYTHONPATH
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise UsageError(
                f"cannot import strategy module '{module_name}': {exc}",
                hint="run from the directory holding it, set PYTHONPATH, or give "
                "path/to/file.py:Class",
            ) from None
        raise _import_error(exc, module_name, None) from None
    except Exception as exc:
        raise _import_error(exc, module_name, None) from None
    finally:
        if added:
            with contextlib.suppress(ValueError):
                sys.path.remove(cwd)


def _import_error(exc: Exception, shown: str, full: str | None) -> UsageError:
    """One line for an exception raised while importing a strategy's file or module."""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = shown if full is not None and exc.filename == full else exc.filename
        return UsageError(f"{where}:{exc.lineno}: {exc.msg}", hint=f"while importing {shown}")
    if isinstance(exc, LetradeError):
        return UsageError(f"importing {shown}: {exc.message}", hint=exc.hint)
    frame = _user_frame(exc, full)
    if frame is not None and full is not None and frame[0] == full:
        frame = (shown, frame[1])
    where = f"{frame[0]}:{frame[1]}" if frame else shown
    return UsageError(
        f"{where}: {type(exc).__name__}: {exc}", hint=f"while importing strategy {shown}"
    )


def _user_frame(exc: BaseException, full: str | None) -> tuple[str, int] | None:
    """The deepest traceback frame in ``full`` (else the deepest one outside importlib)."""
    frames = [(f.filename, f.lineno or 0) for f in traceback.extract_tb(exc.__traceback__)]
    if full is not None:
        mine = [f for f in frames if f[0] == full]
        if mine:
            return mine[-1]
    outside = [
        f
        for f in frames
        if "importlib" not in f[0]
        and not f[0].startswith("<frozen")
        and not f[0].endswith(os.path.join("trading", "strategies", "__init__.py"))
    ]
    return outside[-1] if outside else None


def _frame_of(exc: BaseException, where: str) -> str:
    full = str(Path(where).resolve()) if where.endswith(".py") else None
    frame = _user_frame(exc, full)
    if frame is None:
        return where
    shown = where if full is not None and frame[0] == full else frame[0]
    return f"{shown}:{frame[1]}"


def _line_of(obj: Any, where: str) -> str:
    try:
        return f"{where}:{inspect.getsourcelines(obj)[1]}"
    except (OSError, TypeError):
        return where


def _strategies_in(module: ModuleType) -> list[str]:
    """The strategy classes defined in ``module`` (subclasses of Strategy, or with on_tick)."""
    out = []
    for key, value in vars(module).items():
        if (
            isinstance(value, type)
            and value.__module__ == module.__name__
            and callable(getattr(value, "on_tick", None))
        ):
            out.append(key)
    return out


__all__ = [
    "BUILTIN",
    "Strategy",
    "StrategyContext",
    "is_typed",
    "load_strategy",
    "merge_params",
    "parse_params",
    "strategy_class",
]
