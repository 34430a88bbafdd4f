"""Load YAML into typed dataclasses, with errors that name the file, the key and the fix.

One generic walker serves every profile schema (stream, lambda ...): a dataclass describes the
keys, their types and defaults; an unknown key, a wrong type or a missing required key is a
``ConfigError`` naming ``file: dotted.key: what is wrong``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

# Profile discovery lives in config/profiles.py; re-exported for existing imports.
from letrade_cli.config.profiles import PROFILE_DIR_ENV as PROFILE_DIR_ENV
from letrade_cli.config.profiles import find_profile as find_profile
from letrade_cli.config.profiles import profile_search_dirs as profile_search_dirs
from letrade_cli.errors import ConfigError

T = TypeVar("T")


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping."""
    import yaml  # lazy: keeps `letrade --help` light

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read profile: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"{path}: malformed YAML{where}: {problem}", hint="fix the YAML syntax"
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of keys, got {type(data).__name__}"
        )
    return data


def from_mapping(cls: type[T], data: Any, *, source: str, prefix: str = "") -> T:
    """Build dataclass ``cls`` from ``data``, checking every key and type."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: {prefix or 'top level'}: expected a mapping, got {_describe(data)}"
        )
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = _join(prefix, str(unknown[0]))
        raise ConfigError(
            f"{source}: {key}: unknown key",
            hint=f"allowed keys here: {', '.join(sorted(fields))}",
        )
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        key = _join(prefix, name)
        if name in data:
            kwargs[name] = _coerce(hints[name], data[name], source=source, key=key)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{source}: {key}: required key is missing")
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, *, source: str, key: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None and len(args) < len(get_args(tp)):
            return None
        errors: list[ConfigError] = []
        for arg in args:
            try:
                return _coerce(arg, value, source=source, key=key)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is typing.Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(
                f"{source}: {key}: {value!r} is not one of {', '.join(map(str, allowed))}"
            )
        return value
    if origin is list:
        (item_tp,) = get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {key}: expected a list, got {_describe(value)}")
        return [_coerce(item_tp, v, source=source, key=f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        key_tp, val_tp = get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {key}: expected a mapping, got {_describe(value)}")
        return {
            _coerce(key_tp, k, source=source, key=key): _coerce(
                val_tp, v, source=source, key=_join(key, str(k))
            )
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp):
        return from_mapping(tp, value, source=source, prefix=key)  # type: ignore[arg-type]
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {key}: expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {key}: expected a whole number, got {_describe(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{source}: {key}: expected a number, got {_describe(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key}: expected text, got {_describe(value)}")
        return str(value)
    if tp is Any:
        return value
    raise TypeError(f"unsupported settings type {tp!r} for {key}")  # a bug in a schema


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
