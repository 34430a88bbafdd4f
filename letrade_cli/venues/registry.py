"""Venue name -> its package, imported lazily; the one list of venues.

Built-in venue packages are named in ``BUILTIN``; more come from the ``letrade.venues`` entry
point group (an installed plugin) or from ``LETRADE_VENUES`` (comma-separated module names, for a
venue under development or in tests). Each package defines ``VENUE``, a
:class:`~letrade_cli.venues.base.Venue`.
Nothing is imported until a venue is looked up, so ``letrade --help`` loads no venue code.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.venues.base import Dialect, SymbolFormat, Venue, VenueSpec

BUILTIN: tuple[str, ...] = ("letrade_cli.venues.binance", "letrade_cli.venues.upbit")
DEFAULT_VENUE = "binance"  # what `letrade stream` reads when nothing names a venue
ENTRY_POINT_GROUP = "letrade.venues"
PLUGINS_ENV = "LETRADE_VENUES"

_loaded: dict[str, Venue] | None = None  # built-ins, registered and $LETRADE_VENUES ones
_plugins: dict[str, Venue] | None = None  # the entry point group's, read only when needed
_extra: list[str] = []


def register(module: str) -> None:
    """Add a venue package by module name (it must define ``VENUE``); takes effect at once."""
    global _loaded
    if module not in _extra:
        _extra.append(module)
    _loaded = None


def unregister(module: str) -> None:
    """Undo ``register(module)`` (built-ins and plugins stay)."""
    global _loaded
    if module in _extra:
        _extra.remove(module)
    _loaded = None


def _modules() -> Iterator[str]:
    yield from BUILTIN
    yield from _extra
    for name in os.environ.get(PLUGINS_ENV, "").split(","):
        if name.strip():
            yield name.strip()


def _plugin_modules() -> Iterator[str]:
    # importlib.metadata and the scan cost ~40 ms: only a name not found otherwise pays it.
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        yield point.value


def _load(module: str) -> Venue:
    try:
        venue = importlib.import_module(module).VENUE
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"venue package {module!r} cannot be loaded: {exc}",
            hint=f"check {PLUGINS_ENV} or the installed {ENTRY_POINT_GROUP} plugins",
        ) from None
    if not isinstance(venue, Venue):
        raise ConfigError(f"{module}.VENUE is not a letrade_cli.venues.base.Venue")
    return venue


def _load_all(modules: Iterator[str], into: dict[str, Venue]) -> dict[str, Venue]:
    seen: set[str] = set()
    for module in modules:
        if module not in seen:
            seen.add(module)
            venue = _load(module)
            into.setdefault(venue.name, venue)  # the first package to declare a name keeps it
    return into


def _local() -> dict[str, Venue]:
    global _loaded
    if _loaded is None:
        _loaded = _load_all(_modules(), {})
    return _loaded


def venues() -> dict[str, Venue]:
    """Every venue package by its name: built-ins, registered, $LETRADE_VENUES, then plugins."""
    global _plugins
    local = _local()
    if _plugins is None:
        _plugins = _load_all(_plugin_modules(), {})
    return {**local, **{name: v for name, v in _plugins.items() if name not in local}}


def _local_specs() -> dict[str, VenueSpec]:
    return {spec.name: spec for venue in _local().values() for spec in venue.specs}


def specs() -> dict[str, VenueSpec]:
    """Every venue (endpoints and limits) by name: registration order, the embedded one last."""
    listed = [spec for venue in venues().values() for spec in venue.specs]
    return {spec.name: spec for spec in sorted(listed, key=lambda spec: spec.embedded)}


def venue_spec(name: str) -> VenueSpec:
    """The spec of a venue, or a UsageError listing the known ones."""
    found = _local_specs().get(name)
    if found is not None:
        return found
    known = specs()
    try:
        return known[name]
    except KeyError:
        raise UsageError(
            f"unknown venue '{name}'", hint=f"use one of: {', '.join(known)}"
        ) from None


def venue_of(spec: VenueSpec | str) -> Venue:
    """The venue package that speaks ``spec``'s dialect (a spec, or a dialect name)."""
    dialect = spec if isinstance(spec, str) else spec.dialect
    found = _local().get(dialect)
    if found is not None:
        return found
    try:
        return venues()[dialect]
    except KeyError:
        raise UsageError(
            f"unknown dialect '{dialect}'", hint=f"use one of: {', '.join(venues())}"
        ) from None


def dialect_for(name: str) -> Dialect:
    """A new market-data dialect for a dialect name (``spec.dialect``)."""
    return venue_of(name).dialect()


def embedded_spec() -> VenueSpec:
    """The venue the embedded exchange serves by default (the ``embedded`` spec)."""
    for spec in [*_local_specs().values(), *specs().values()]:
        if spec.embedded:
            return spec
    raise ConfigError("no venue package declares an embedded (sim) venue")


def venue_for_url(url: str) -> Venue | None:
    """The venue whose ``recorded_hosts`` appear in a recorded stream's URL, if any."""
    lowered = url.lower()
    for venue in venues().values():
        if any(mark in lowered for mark in venue.recorded_hosts):
            return venue
    return None


def symbol_format(venue: str) -> SymbolFormat:
    """How ``venue`` (a venue or a dialect name) spells its markets."""
    try:
        return venue_of(venue_spec(venue)).symbols
    except UsageError:
        return venue_of(venue).symbols


def split_any(symbol: str) -> tuple[str, str] | None:
    """``(base, quote)`` when every venue format that can read ``symbol`` reads it alike.

    For symbols whose venue is not known yet (a replay before its data is opened): ``BTCUSDT``
    and ``KRW-BTC`` have one reading; a spelling two venues read differently gives None.
    """
    readings = set()
    for venue in venues().values():
        try:
            readings.add(venue.symbols.split(symbol))
        except UsageError:
            continue
    return readings.pop() if len(readings) == 1 else None
