"""The strategy API: a base class with hooks, typed parameters, and what a hook may return.

A strategy subclasses :class:`Strategy`, declares its parameters as class attributes
(:class:`Param`), the bar timeframes it wants (``timeframes``), and overrides the hooks it needs.
Every hook gets the run's context (``ctx``: position, cash, open orders, bars, filters, clock, and
the order methods ``ctx.buy``, ``ctx.sell``, ``ctx.stop_loss`` …); orders are placed by calling
those methods. A hook returns None (or, the older style, a list of ``Signal``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from letrade_cli.core.errors import ConfigError
from letrade_cli.core.orders import Signal

_TYPES: dict[type, str] = {int: "int", float: "float", bool: "bool", str: "str", Decimal: "decimal"}


class Param:
    """One typed parameter of a strategy, with its default and bounds.

    ``fast = Param(10, min=1, max=500, help="fast moving average, in bars")``: the type is the
    default's (int, float, bool, str or Decimal); ``--param fast=12`` and the profile's
    ``trading.strategy.params`` set it; a value of the wrong type or outside the bounds is a
    ``ConfigError`` (exit 2) naming the parameter and its bounds.
    """

    def __init__(
        self,
        default: Any,
        *,
        min: Any = None,
        max: Any = None,
        choices: Sequence[Any] | None = None,
        help: str = "",
    ) -> None:
        if type(default) not in _TYPES:
            raise TypeError(f"Param default must be int, float, bool, str or Decimal: {default!r}")
        self.default = default
        self.type: type = type(default)
        self.min = min
        self.max = max
        self.choices = tuple(choices) if choices is not None else None
        self.help = help
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance.__dict__.get(self.name, self.default)

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.name] = self.coerce(value)

    @property
    def bounds(self) -> str:
        """The allowed values in words (``int from 1 to 500``)."""
        kind = _TYPES[self.type]
        if self.choices is not None:
            return f"one of {', '.join(map(str, self.choices))}"
        if self.min is not None and self.max is not None:
            return f"{kind} from {self.min} to {self.max}"
        if self.min is not None:
            return f"{kind} >= {self.min}"
        if self.max is not None:
            return f"{kind} <= {self.max}"
        return kind

    def coerce(self, raw: Any) -> Any:
        """``raw`` (a string from ``--param`` or a YAML value) as this parameter's type, checked."""
        value: Any
        try:
            if self.type is bool:
                if isinstance(raw, bool):
                    value = raw
                elif str(raw).lower() in ("1", "true", "yes", "on"):
                    value = True
                elif str(raw).lower() in ("0", "false", "no", "off"):
                    value = False
                else:
                    raise ValueError(raw)
            elif self.type is int:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError(raw)
                value = int(str(raw)) if not isinstance(raw, float) else int(raw)
            elif self.type is float:
                if isinstance(raw, bool):
                    raise ValueError(raw)
                value = float(raw)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError(raw)
            elif self.type is Decimal:
                value = Decimal(str(raw))
                if not value.is_finite():
                    raise ValueError(raw)
            else:
                value = str(raw)
        except (ValueError, TypeError, InvalidOperation):
            numeric = self.type in (int, float, Decimal)
            wanted = f"a number ({self.bounds})" if numeric else self.bounds
            raise ConfigError(
                f"strategy params.{self.name} must be {wanted}, got {raw!r}",
                hint=f"--param {self.name}=VALUE ({self.help})" if self.help else None,
            ) from None
        outside = (
            (self.choices is not None and value not in self.choices)
            or (self.min is not None and value < self.min)
            or (self.max is not None and value > self.max)
        )
        if outside:
            raise ConfigError(f"strategy params.{self.name} must be {self.bounds}, got {raw!r}")
        return value


class Strategy:
    """Base class of a strategy. Override the hooks you need; all are optional.

    Class attributes:
        name: Stored in the ledger and shown by ``letrade strategy list``.
        timeframes: Bar timeframes to build and deliver to :meth:`on_bar` (``("1m", "1h")``).
        history: How many closed bars ``ctx.bars`` keeps per symbol and timeframe.
        Params: every :class:`Param` declared on the class.

    Hooks (``ctx`` is the run's :class:`~letrade_cli.trading.context.StrategyContext`):
        on_start(ctx): once, before the first tick (also after a resume).
        on_tick(tick, ctx): every tick of the traded symbols.
        on_bar(bar, ctx): every closed bar of the declared timeframes (never a forming one).
        on_order(order, ctx): an order of this run changed (acknowledged, cancelled, triggered).
        on_fill(fill, ctx): one of this run's orders filled (``fill.reason`` says why the order
            was placed: the strategy's own reason, or ``stop-loss``, ``take-profit``,
            ``trailing-stop``, ``risk-halt``, ``end-of-run`` when the engine placed it).
    """

    name: ClassVar[str] = ""
    timeframes: ClassVar[tuple[str, ...]] = ()
    history: ClassVar[int] = 500

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        known = self.params()
        for key, value in (params or {}).items():
            if key not in known:
                names = ", ".join(known) or "none"
                raise ConfigError(
                    f"strategy {self.name or type(self).__name__} has no parameter {key!r}",
                    hint=f"its parameters: {names}",
                )
            setattr(self, key, value)

    @classmethod
    def params(cls) -> dict[str, Param]:
        """The declared parameters, by name, in declaration order (base classes first)."""
        out: dict[str, Param] = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if isinstance(value, Param):
                    out[key] = value
        return out

    def param_values(self) -> dict[str, Any]:
        """Every parameter's current value."""
        return {name: getattr(self, name) for name in self.params()}

    def on_start(self, ctx: Any) -> None:
        """Called once before the first tick."""

    def on_tick(self, tick: Any, ctx: Any) -> Sequence[Signal] | None:
        """Called on every tick of a traded symbol."""
        return None

    def on_bar(self, bar: Any, ctx: Any) -> Sequence[Signal] | None:
        """Called on every closed bar of ``timeframes``."""
        return None

    def on_order(self, order: Any, ctx: Any) -> None:
        """Called when one of the run's orders changes."""

    def on_fill(self, fill: Any, ctx: Any) -> None:
        """Called on every fill of the run's orders."""
