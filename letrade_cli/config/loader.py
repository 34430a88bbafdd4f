"""Load YAML into typed dataclasses, with errors that name the file, the key and the fix.

One loader serves every profile schema (stream, lambda ...): a dataclass describes the keys, their
types and defaults; ``msgspec.convert`` checks a YAML mapping against it (unknown keys forbidden);
an unknown key, a wrong type or a missing required key is a ``ConfigError`` naming
``file: dotted.key: what is wrong``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union, cast, get_args, get_origin, get_type_hints

# Profile discovery lives in config/profiles.py; re-exported for existing imports.
from letrade_cli.config.profiles import PROFILE_DIR_ENV as PROFILE_DIR_ENV
from letrade_cli.config.profiles import find_profile as find_profile
from letrade_cli.config.profiles import profile_search_dirs as profile_search_dirs
from letrade_cli.core.errors import ConfigError

T = TypeVar("T")


def read_profile_text(path: Path) -> str:
    """A profile's text (``ConfigError`` naming the file when unreadable or not UTF-8)."""
    from letrade_cli.core.files import read_utf8

    return read_utf8(path, "profile")


class DuplicateKeyError(Exception):
    """A mapping names the same key twice (YAML itself would keep the last one silently)."""

    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


@functools.cache
def _unique_keys_loader() -> Any:
    """PyYAML's SafeLoader (C when available) refusing duplicate keys in any mapping."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):  # type: ignore[misc,valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, str | int | float | bool):
                    continue  # an unhashable key: PyYAML's own error says so
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise DuplicateKeyError(str(key), line, seen[key])
                seen[key] = line
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping."""
    import yaml  # lazy: keeps `letrade --help` light

    text = read_profile_text(path)
    try:
        data = yaml.load(text, Loader=_unique_keys_loader())  # a SafeLoader underneath
    except DuplicateKeyError as exc:
        raise ConfigError(
            f"{path}: line {exc.line}: '{exc.key}' is given twice (first at line {exc.first})",
            hint="keep one: YAML would silently use the last",
        ) from exc
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
    """Build dataclass ``cls`` from ``data``, checking every key and type.

    ``msgspec.convert`` does the checking, against a mirror of ``cls`` made of Structs with
    ``forbid_unknown_fields`` (dataclasses alone would ignore a misspelt key); its error is
    turned into ``source: dotted.key: what is wrong``.
    """
    import msgspec  # lazy: keeps `letrade --help` light

    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: {prefix or 'top level'}: expected a mapping, got {_describe(data)}"
        )
    try:
        checked = msgspec.convert(data, _strict(cast(Any, cls)))
    except msgspec.ValidationError as exc:
        raise _config_error(str(exc), cls, data, source, prefix) from None
    return msgspec.convert(msgspec.to_builtins(checked), cls)


@functools.cache
def _strict(tp: Any) -> Any:
    """``tp`` with every dataclass replaced by a Struct that forbids unknown fields."""
    import msgspec

    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = get_type_hints(tp)
        fields: list[Any] = []
        for f in dataclasses.fields(tp):
            field_tp = _strict(hints[f.name])
            if f.default is not dataclasses.MISSING:
                fields.append((f.name, field_tp, f.default))
            elif f.default_factory is not dataclasses.MISSING:
                fields.append((f.name, field_tp, msgspec.field(default_factory=f.default_factory)))
            else:
                fields.append((f.name, field_tp))
        required = [f for f in fields if len(f) == 2]
        optional = [f for f in fields if len(f) == 3]
        return msgspec.defstruct(
            f"{tp.__name__}Checked", required + optional, forbid_unknown_fields=True
        )
    origin = get_origin(tp)
    if origin is None or origin is typing.Literal:
        return tp
    args = tuple(_strict(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return Union[args]  # noqa: UP007 (built from a tuple)
    return origin[args] if len(args) > 1 else origin[args[0]]


_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


def _config_error(message: str, cls: Any, data: Any, source: str, prefix: str) -> ConfigError:
    match = _PATH.search(message)
    path = match.group("path") if match else ""
    text = message[: match.start()] if match else message
    keys = _resolve(re.findall(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]", path), cls, data)
    dotted = _join(prefix, _dotted(keys))
    unknown = re.match(r"Object contains unknown field `(.+)`", text)
    if unknown:
        allowed = _allowed_keys(cls, keys)
        return ConfigError(
            f"{source}: {_join(dotted, unknown.group(1))}: unknown key",
            hint=f"allowed keys here: {', '.join(allowed)}" if allowed else None,
        )
    missing = re.match(r"Object missing required field `(.+)`", text)
    if missing:
        return ConfigError(f"{source}: {_join(dotted, missing.group(1))}: required key is missing")
    expected = re.match(r"Expected `(.+?)`, got `(.+?)`", text)
    if expected:
        wanted = " or ".join(
            _TYPE_WORDS.get(t.strip(), t.strip()) for t in expected.group(1).split("|")
        )
        got = _describe(_value_at(data, keys))
        return ConfigError(f"{source}: {dotted or 'top level'}: expected {wanted}, got {got}")
    if "Invalid enum value" in text:
        return ConfigError(
            f"{source}: {dotted}: {_value_at(data, keys)!r} is not one of the allowed values"
        )
    return ConfigError(f"{source}: {dotted or 'top level'}: {text[:1].lower()}{text[1:]}")


def _resolve(parts: list[tuple[str, str]], cls: Any, data: Any) -> list[str | int]:
    """The keys of msgspec's error path.

    msgspec writes a mapping's key as ``[...]``; the entry meant is the first that fails alone.
    """
    import msgspec

    keys: list[str | int] = []
    tp: Any = cls
    node = data
    for name, index in parts:
        tp = _unwrap(tp)
        key: str | int
        if name:
            key = name
            tp = get_type_hints(tp).get(name) if dataclasses.is_dataclass(tp) else Any
        elif index.isdigit():
            key = int(index)
            tp = get_args(tp)[0] if get_origin(tp) is list else Any
        else:
            value_tp = get_args(tp)[-1] if get_origin(tp) is dict else Any
            key = "?"
            for k, v in node.items() if isinstance(node, dict) else ():
                try:
                    msgspec.convert(v, _strict(value_tp))
                except msgspec.ValidationError:
                    key = str(k)
                    break
            tp = value_tp
        keys.append(key)
        node = _value_at(node, [key])
    return keys


def _dotted(keys: list[str | int]) -> str:
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else _join(out, key)[len(out) :]
    return out


def _value_at(data: Any, keys: list[str | int]) -> Any:
    for key in keys:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _allowed_keys(cls: Any, keys: list[str | int]) -> list[str]:
    tp: Any = cls
    for key in keys:
        tp = _unwrap(tp)
        if get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        elif dataclasses.is_dataclass(tp) and isinstance(key, str):
            tp = get_type_hints(tp).get(key)
    tp = _unwrap(tp)
    return sorted(f.name for f in dataclasses.fields(tp)) if dataclasses.is_dataclass(tp) else []


def _unwrap(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
