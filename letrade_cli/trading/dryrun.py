"""The trading engine: TickSource -> strategy -> risk -> OrderManager(venue) -> ledger.

One engine for paper and real orders: ``letrade dryrun`` gives it the paper broker, ``letrade
trade run`` a ``LiveVenue``; nothing else differs. With a live venue, an order's intent (with its
client id) is committed before it is sent, and every ack and fill the venue reports is committed
as soon as it is seen; on start and on ``--resume`` the ledger is reconciled with the venue
(:mod:`letrade_cli.trading.reconcile`).

One tick is handled in two halves. ``on_tick`` (a bus subscriber, synchronous) updates the
marks, runs the strategy, fills resting paper limits and checks stop-loss/take-profit; the
source then awaits ``step``, which sends the accepted signals through the ``OrderManager`` (the
same order path as ``letrade trade``) and commits everything the tick caused, with the source's
cursor, in one SQLite transaction.

Resume: cash, positions, open orders, counters and risk state come back from the ledger; a
replay then feeds the frames up to the committed cursor to the strategy alone (rebuilding its
state exactly) and carries on from there, so a killed and resumed run ends where an
uninterrupted one does. Memory is flat: per-tick state is a mark per symbol, bounded deques and
fixed-size histograms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any

from letrade_cli.config.trading import RiskSettings
from letrade_cli.connector.source import TickSource
from letrade_cli.core.errors import (
    ExchangeRejectedError,
    LetradeError,
    NetworkUnavailableError,
    UsageError,
)
from letrade_cli.core.histogram import LatencyHistogram
from letrade_cli.core.orders import (
    ZERO,
    Fill,
    OrderIntent,
    OrderState,
    OrderStatus,
    Side,
    Signal,
    SymbolRules,
)
from letrade_cli.core.tick import Tick
from letrade_cli.trading.conditional import ConditionalBook, HeldOrder
from letrade_cli.trading.context import FillView, OrderRequest, RunContext
from letrade_cli.trading.filters import floor_to_step
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.marks import Marks
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.trading.paper import PaperBroker
from letrade_cli.trading.portfolio import Portfolio, Position
from letrade_cli.trading.risk import DAY_MS, RiskManager
from letrade_cli.trading.strategies import Strategy, load_strategy
from letrade_cli.trading.strategies.api import Strategy as StrategyBase
from letrade_cli.trading.venue import TradingVenue

log = logging.getLogger("letrade.dryrun")
RECENT = 20
CANCEL_READBACKS = 10  # reads of a cancel that has not completed yet, 0.2 s apart
RESOLVE_EVERY_MS = 1000  # how often orders sent without an answer are looked up again
# A paper replay commits once per this many frames (with the cursor, in one transaction): a run
# killed mid-batch resumes from the last commit and replays the rest identically.
REPLAY_BATCH = 20_000
# Seconds of event time between equity rows: a minute when watched as it happens; a quarter
# hour at full speed (a year of 1-minute candles is 35,040 rows, not 525,600).
SNAPSHOT_S = 60.0
REPLAY_SNAPSHOT_S = 900.0


@dataclass(slots=True)
class DryRunConfig:
    """What a run does; stored with the run so ``--resume`` needs only its id."""

    strategy: str = "sma-cross"
    params: dict[str, Any] = field(default_factory=dict)
    symbols: list[str] = field(default_factory=list)
    venue: str = "sim"
    replay: str | None = None
    data: str | None = None  # replay from the Parquet store at this root ("" = default store)
    data_kind: str | None = None  # the store kind (None: the finest one held)
    data_from_ns: int | None = None
    data_to_ns: int | None = None
    speed: float | None = None
    balance: str = "10000"
    quote: str = "USDT"
    fee_bps: str = "10"
    slippage_bps: str = "1"
    duration_s: float = 86_400.0
    snapshot_s: float = 0.0  # seconds of event time between equity rows (0: the default)
    risk: dict[str, Any] = field(default_factory=lambda: asdict(RiskSettings()))
    max_loss: float = 0.0  # halt when equity falls this far below the start (0: no limit)
    max_orders_per_minute: int = 0  # signals beyond it are refused (0: no limit)
    max_open_orders: int = 0
    close_at_end: bool = False  # sell every position when the run completes (end-of-run)
    close_on_halt: bool = False  # sell every position when a loss limit halts the run
    on_mismatch: str = "adopt"  # reconciliation: halt or adopt
    keep_orders: bool = False  # on a signal, leave the run's open orders on the venue

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DryRunConfig:
        """Rebuild a stored config (unknown keys ignored)."""
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


def new_run_id() -> str:
    """A short unique run id (``r`` + 8 hex digits), usable inside client order ids."""
    return "r" + os.urandom(4).hex()


class StrategyError(LetradeError):
    """The strategy raised: the run stops, nothing of the tick it failed on is committed."""

    exit_code = 1


class ReconcileHaltError(LetradeError):
    """Reconciliation found differences and ``--on-mismatch halt`` was asked for."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class Event:
    """One thing the run did, for the live view and ``--json``."""

    kind: str  # signal | fill | order | equity | halt
    ts_ms: int
    data: dict[str, Any]


class DryRun:
    """Runs one run over a ``TickSource`` (new, or resumed from the ledger), paper or live."""

    def __init__(
        self,
        ledger: Ledger,
        source: TickSource,
        config: DryRunConfig,
        *,
        run_id: str | None = None,
        resume: bool = False,
        strategy: Strategy | None = None,
        on_event: Callable[[Event], None] | None = None,
        venue: TradingVenue | None = None,
    ) -> None:
        self.ledger = ledger
        self.source = source
        self.config = config
        self.run_id = run_id or new_run_id()
        self.resume = resume
        self.strategy = strategy or load_strategy(config.strategy, config.params)
        self.on_event = on_event
        self.risk = RiskManager(RiskSettings(**config.risk))
        self.portfolio = Portfolio(config.quote, Decimal(config.balance))
        self.live = venue is not None
        self.broker: PaperBroker | None = None
        if venue is None:
            self.broker = PaperBroker(
                self.portfolio,
                self._book,
                fee_bps=Decimal(config.fee_bps),
                slippage_bps=Decimal(config.slippage_bps),
                clock_ms=lambda: self.now_ms,
                split=source.split_symbol,
            )
            venue = self.broker
        self.venue: TradingVenue = venue
        self.manager = OrderManager(venue, id_factory=self._next_client_id)
        self.manager.add_listener(self._on_order)
        self.ctx = RunContext(self)
        self.conditional = ConditionalBook()
        self.reasons: dict[str, str] = {}  # client id -> why the order was placed
        self._hook_calls: list[tuple[str, Any]] = []  # (on_fill|on_order, view) after commit
        self._cancels: list[str] = []  # OCO siblings to cancel, from a fill
        self._bars: Any = None  # BarBuilder, when the strategy declares timeframes
        timeframes = tuple(getattr(self.strategy, "timeframes", ()) or ())
        if timeframes:
            from letrade_cli.trading.bars import BarBuilder

            self._bars = BarBuilder(timeframes, int(getattr(self.strategy, "history", 500)))
        self._started = False
        self._symbol = ""
        # Bound once: a hook is looked up per tick otherwise (a missing one is never called).
        # The base class's no-op hooks are left out: nothing is built to call them.
        self._hooks: dict[str, Callable[..., Any]] = {
            name: method
            for name in ("on_start", "on_tick", "on_bar", "on_order", "on_fill")
            if (method := getattr(self.strategy, name, None)) is not None
            and getattr(type(self.strategy), name, None) is not getattr(StrategyBase, name)
        }
        self._on_tick = self._hooks.get("on_tick")
        self.wanted = {s.upper() for s in config.symbols}
        self.marks = Marks()
        self._traded: dict[str, bool] = {}
        self.rules: dict[str, SymbolRules] = {}  # symbol -> whether this run trades it
        self.now_ms = 0
        self.start_ms = 0
        self.end_ms = 0
        self.cursor = 0  # frames already committed (a resumed replay warms up to here)
        self.bad_prices = 0  # ticks skipped: a NaN, zero, negative or infinite price
        self.order_seq = 0
        self.last_snapshot_ms = 0
        self.ticks = 0
        self.stop = asyncio.Event()
        self.latency = LatencyHistogram()
        self.recent: deque[Event] = deque(maxlen=RECENT)
        self._signals: list[tuple[Signal, bool]] = []  # (signal, forced exit)
        self._pending: list[tuple[str, Any, Any]] = []
        self._events: list[Event] = []
        self._touched: set[str] = set()
        self._dirty = False
        self._wall0 = time.monotonic()
        self._cache_base = (0, 0)
        self.finished = False
        self.failure: LetradeError | None = None
        # (symbol, trade id) of the fills in the ledger: a venue numbers trades per symbol.
        self.known_trades: set[tuple[str, str]] = set()
        self.differences: list[Any] = []  # what reconciliation found
        self._order_times: deque[int] = deque()  # ms of recent sends, for max_orders_per_minute
        self._flush_scheduled = False
        self._fired: list[HeldOrder] = []  # conditional orders triggered by this tick
        self._unresolved: dict[str, OrderState] = {}  # sent, no answer: looked up until known
        self._last_resolve_ms = 0
        # Only at full speed: a paced replay is watched as it goes, so it commits per tick.
        at_full_speed = getattr(source, "replay", False) and getattr(source, "speed", None) is None
        self._batch = REPLAY_BATCH if at_full_speed and not self.live else 0
        if not config.snapshot_s:  # a new run: its interval is stored, a resume keeps it
            default = REPLAY_SNAPSHOT_S if self._batch else SNAPSHOT_S
            self.config = config = replace(config, snapshot_s=default)
        self._snapshot_ms = int(config.snapshot_s * 1000)
        self._daily_limit = bool(self.risk.settings.max_daily_loss)

    # -- setup -------------------------------------------------------------------------------
    async def open(self) -> None:
        """Create the run, or load a resumed one's account and state."""
        await self.manager.start()
        symbols = sorted(self.wanted)
        if self.broker is not None:
            self.broker.venue_rules = await self.source.market_rules(symbols)
            self.rules = await self.manager.load_rules(symbols) if self.broker.venue_rules else {}
        else:
            self.rules = await self.manager.load_rules(symbols)
        ledger, run_id = self.ledger, self.run_id
        if not self.resume:
            with ledger.transaction():
                ledger.create_run(
                    run_id,
                    created_ms=int(time.time() * 1000),
                    strategy=getattr(self.strategy, "name", self.config.strategy),
                    venue=self.source.venue if self.broker is not None else self.venue.name,
                    symbols=sorted(self.wanted) or self.source.symbols,
                    quote=self.config.quote,
                    initial_cash=self.portfolio.cash,
                    config=asdict(self.config),
                    mode="live" if self.live else "paper",
                )
            if self.live:
                await self._reconcile()  # orphans with this run's prefix, balances
            return
        state = ledger.state(run_id)
        portfolio = self.portfolio
        portfolio.cash = Decimal(state.get("cash", str(portfolio.cash)))
        portfolio.fees = Decimal(state.get("fees", "0"))
        portfolio.realized = Decimal(state.get("realized", "0"))
        for symbol, (qty, cost, realized) in ledger.positions(run_id).items():
            portfolio.positions[symbol] = Position(symbol, qty, cost, realized)
        self.reasons = ledger.order_reasons(run_id)
        for order in ledger.orders(run_id, open_only=True):
            if order.order_list_id is not None:
                self.conditional.link(order.order_list_id, order.client_order_id)
        for order in ledger.orders(run_id, open_only=True, held=True):
            self.conditional.add(
                order, self.reasons.get(order.client_order_id, ""), order.order_list_id
            )
        if self.broker is not None:
            self.broker.restore(
                ledger.orders(run_id, open_only=True, held=False), int(state.get("trade_seq", 0))
            )
        self.known_trades = {(f["symbol"], str(f["trade_id"])) for f in ledger.fills(run_id)}
        # Never reuse a client id: past the stored counter and every id the ledger holds.
        suffixes = [
            int(o.client_order_id.rsplit("-", 1)[1])
            for o in ledger.orders(run_id)
            if o.client_order_id.startswith(f"{run_id}-")
            and o.client_order_id.rsplit("-", 1)[1].isdigit()
        ]
        self.order_seq = max([int(state.get("order_seq", 0)), *suffixes])
        self.start_ms = int(state.get("start_ms", 0))
        self.end_ms = int(state.get("end_ms", 0))
        self.last_snapshot_ms = int(state.get("last_snapshot_ms", 0))
        self.cursor = int(state.get("cursor", 0)) if self.source.replay else 0
        self.risk.day = int(state.get("risk_day", -1))
        self.risk.day_start_equity = Decimal(state.get("day_start_equity", "0"))
        self.risk.halted = state.get("halted", "0") == "1"
        self.risk.last_signal_ms = ledger.last_signal_ms(run_id)
        # The cache counts from zero in this process; the ledger keeps the run's totals.
        self._cache_base = (int(state.get("cache_hits", 0)), int(state.get("cache_misses", 0)))
        with ledger.transaction():
            ledger.set_status(run_id, "running")
        if self.live:
            await self._reconcile()

    async def _reconcile(self) -> None:
        """Bring the ledger and the venue into agreement; store and tell what differed."""
        from letrade_cli.trading.reconcile import reconcile

        began = time.perf_counter_ns()
        self.differences = await reconcile(
            self.venue,
            self.ledger,
            self.run_id,
            prefix=f"{self.run_id}-",
            positions={s: p.quantity for s, p in self.portfolio.positions.items()},
            split=self.source.split_symbol,
        )
        self.commit()  # what the look-ups reported (fills, states)
        if not self.differences:
            self._tell_reconciled(began)
            return
        now = int(time.time() * 1000)
        halt = self.config.on_mismatch == "halt" and any(d.mismatch for d in self.differences)
        with self.ledger.transaction():
            for d in self.differences:
                action = "halted" if halt and d.mismatch else d.action
                self.ledger.add_reconciliation(
                    self.run_id, now, d.kind, d.client_order_id, d.symbol, d.detail, action
                )
        for d in self.differences:
            self._tell_now(
                "reconcile",
                {"kind": d.kind, "client_order_id": d.client_order_id, "symbol": d.symbol,
                 "detail": d.detail, "action": d.action, "mismatch": d.mismatch},
            )  # fmt: skip
        self._tell_reconciled(began)
        if halt:
            mismatches = sum(1 for d in self.differences if d.mismatch)
            raise ReconcileHaltError(
                f"run {self.run_id}: reconciliation found {mismatches} difference(s) the ledger "
                "cannot explain (listed above); nothing was traded",
                hint="check them on the venue, then --resume with --on-mismatch adopt",
            )

    def _tell_reconciled(self, began_ns: int) -> None:
        """``reconciled``: the ledger agrees with the venue (committed); how long it took."""
        ms = round((time.perf_counter_ns() - began_ns) / 1e6, 3)
        self._tell_now("reconciled", {"ms": ms, "differences": len(self.differences)})

    def _tell_now(self, kind: str, data: dict[str, Any]) -> None:
        """Tell the view and --json at once (what is already committed, or about to be sent)."""
        event = Event(kind, self.now_ms or int(time.time() * 1000), data)
        self.recent.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def _next_client_id(self) -> str:
        self.order_seq += 1
        return f"{self.run_id}-{self.order_seq}"

    def next_client_id(self) -> str:
        """A new client order id of this run (``<run id>-<n>``), never reused."""
        return self._next_client_id()

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """The run's open orders: those on the venue, then the ones the engine holds."""
        on_venue = [
            o
            for o in self.manager.orders.values()
            if o.status.is_unresolved and (symbol is None or o.symbol == symbol)
        ]
        return on_venue + [h.state for h in self.conditional.for_symbol(symbol)]

    def bar_series(self, symbol: str, timeframe: str) -> Any:
        """The closed bars of ``symbol`` at ``timeframe`` (declared in ``timeframes``)."""
        if self._bars is None:
            raise UsageError(
                f"ctx.bars({symbol!r}, {timeframe!r}): the strategy declares no timeframes",
                hint=f'add timeframes = ("{timeframe}",) to the strategy class',
            )
        return self._bars.series(symbol, timeframe)

    def _book(self, symbol: str) -> Tick | None:
        return self.source.cache.get(symbol, self.now_ms * 1_000_000 or None)

    # -- the two halves of a tick ------------------------------------------------------------
    def on_tick(self, tick: Tick) -> None:
        """Bus subscriber: marks, strategy, resting limits, stop-loss/take-profit."""
        symbol = tick.symbol
        traded = self._traded.get(symbol)
        if traded is None:
            traded = self._traded[symbol] = (
                symbol in self.wanted
                if self.wanted
                else self.source.split_symbol(symbol)[1] == self.portfolio.quote
            )
        if not traded:
            return
        price = tick.price
        if price is None:
            return
        if not 0 < price < math.inf:  # NaN, 0, negative or inf: never a mark
            self.bad_prices += 1
            if self.bad_prices == 1:
                log.warning(
                    "%s: skipping a tick with price %r (counted as bad_prices)", symbol, price
                )
            return
        now_ms = tick.recv_ns // 1_000_000
        if not self.start_ms:
            self.start_ms = now_ms
            self.end_ms = now_ms + int(self.config.duration_s * 1000)
            self.last_snapshot_ms = now_ms
            self._dirty = True
        if now_ms >= self.end_ms:
            self.stop.set()
            return
        self.now_ms = now_ms
        self.ctx.now_ns = tick.recv_ns
        marks = self.marks
        marks.floats[symbol] = price
        if symbol in marks.decimals:
            del marks.decimals[symbol]
        self._symbol = symbol
        if not self._started:
            self._started = True
            if self._call("on_start", self.ctx) is None:
                return
        on_tick = self._on_tick
        signals: Sequence[Signal] = ()
        if on_tick is not None:  # _call inlined: this runs once per tick
            try:
                out = on_tick(tick, self.ctx)
            except Exception as exc:
                self._hook_raised("on_tick", exc)
                return
            if out is not None and (out.__class__ is not tuple or out):
                checked = self._checked("on_tick", on_tick, out)
                if checked is None:
                    return
                signals = checked
        if self._bars is not None:
            for bar in self._bars.on_tick(tick):
                more = self._call("on_bar", bar, self.ctx)
                if more is None:
                    return
                if more:
                    signals = [*signals, *more]
        if self.source.position <= self.cursor:
            self.ctx.requests.clear()  # warming up a resumed run: the strategy's state only
            for held in self.conditional.for_symbol(symbol):
                if now_ms > held.state.created_ms:  # a trailing stop's high since placing
                    held.trigger.update(marks[symbol])
            return
        self.ticks += 1
        risk = self.risk
        if now_ms // DAY_MS != risk.day:
            risk.new_day(now_ms, self.portfolio.equity(self.marks))
            self._dirty = True
        if self.broker is not None:
            self.broker.on_tick(tick)
        if risk.has_exits and symbol in self.portfolio.positions:
            exit_signal = risk.exit_signal(symbol, marks[symbol], self.portfolio, tick.recv_ns)
            if exit_signal is not None:
                self._signals.append((exit_signal, True))
        if self.conditional.held:
            self._fired.extend(self.conditional.on_price(symbol, marks[symbol]))
        for sig in signals:
            self._signals.append((sig, False))

    def _call(self, hook: str, *args: Any) -> Sequence[Signal] | None:
        """Call a strategy hook; its signals (``[]`` for none), or None when it failed.

        A hook that raises stops the run (exit 1); one that returns something other than None
        or a list of ``Signal`` is a mistake in the strategy (exit 2); both name the file and
        line.
        """
        method = self._hooks.get(hook)
        if method is None:
            return ()
        try:
            out = method(*args)
        except Exception as exc:  # the user's code: stop, keep what is committed
            self._hook_raised(hook, exc)
            return None
        if out is None or (out.__class__ is tuple and not out):
            return ()
        return self._checked(hook, method, out)

    def _hook_raised(self, hook: str, exc: Exception) -> None:
        """A hook raised: the run stops (exit 1) naming the strategy's file and line."""
        self._signals.clear()
        self.ctx.requests.clear()
        name = getattr(self.strategy, "name", self.config.strategy)
        where = _user_frame(exc)
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.now_ms / 1000))
        self.failure = StrategyError(
            f"strategy {name} raised {type(exc).__name__}: {exc} on {self._symbol} at "
            f"{when}.{self.now_ms % 1000:03d}Z (in {hook}{f', {where}' if where else ''}); "
            "the run stopped, nothing of that tick was kept",
            hint=f"fix the strategy, then `--resume {self.run_id}`",
        )
        self.stop.set()

    def _checked(self, hook: str, method: Callable[..., Any], out: Any) -> Sequence[Signal] | None:
        """A hook's signals, or None (the run stops, exit 2) for anything but a list of them."""
        if isinstance(out, (list, tuple)) and all(isinstance(x, Signal) for x in out):
            return out
        self._signals.clear()
        self.ctx.requests.clear()
        code = getattr(method, "__func__", method).__code__
        self.failure = UsageError(
            f"{code.co_filename}:{code.co_firstlineno}: {hook} returned "
            f"{type(out).__name__}, expected None or a list of Signal",
            hint="place orders with ctx.buy/ctx.sell/..., or return [Signal(...)]",
        )
        self.stop.set()
        return None

    def step(self) -> Awaitable[None] | None:
        """What this tick caused: sends (awaited), snapshots and commits.

        A tick that asked for nothing to be sent is finished here and returns None, so a
        replay does not build a coroutine per tick; otherwise the awaitable that sends.
        """
        if self.failure is not None:
            return None
        if (
            self._signals
            or self._fired
            or self._cancels
            or self.ctx.requests
            or self._hook_calls
            or self._unresolved
            or (self.config.max_loss and not self.risk.halted)
            or (self._daily_limit and self.portfolio.positions)
        ):
            return self._step_then_hooks()
        if self.now_ms - self.last_snapshot_ms >= self._snapshot_ms:
            self._snapshot()
        if (self._dirty or self._pending or self._events) and (
            not self._batch or self.source.position - self.cursor >= self._batch
        ):
            self.commit()
        return None

    async def _step_then_hooks(self) -> None:
        try:
            await self._step()
        finally:
            self._run_hooks()

    def _run_hooks(self) -> None:
        """Tell the strategy about its orders and fills (what is committed by now)."""
        while self._hook_calls and self.failure is None:
            calls, self._hook_calls = self._hook_calls, []
            for hook, view in calls:
                if self._call(hook, view, self.ctx) is None:
                    return

    async def _step(self) -> None:
        if (
            self.config.max_loss
            and not self.risk.halted
            and self.portfolio.equity(self.marks) - self.portfolio.initial_cash
            <= -Decimal(str(self.config.max_loss))
        ):
            self.risk.halted = True
            self._emit("halt", {"reason": f"loss reached --max-loss {self.config.max_loss:g}"})
            self._dirty = True
            if self.config.close_on_halt:
                await self.close_positions("risk-halt")
        if self._signals:
            signals, self._signals = self._signals, []
            for sig, forced in signals:
                await self._handle_signal(sig, forced)
        if self._fired:
            fired, self._fired = self._fired, []
            for held in fired:
                await self._trigger(held)
        if self._cancels:
            cancels, self._cancels = self._cancels, []
            for cid in cancels:
                await self._cancel(cid, "the other leg of its OCO filled")
        if self.ctx.requests:
            requests, self.ctx.requests = self.ctx.requests, []
            for request in requests:
                await self._handle_request(request)
        if self._unresolved and self.now_ms - self._last_resolve_ms >= RESOLVE_EVERY_MS:
            await self._resolve()
        if (
            self._daily_limit
            and self.portfolio.positions
            and self.risk.check_daily_loss(self.portfolio.equity(self.marks))
        ):
            self._emit(
                "halt", {"reason": f"daily loss reached {self.risk.settings.max_daily_loss:g}"}
            )
            self._dirty = True
            if self.config.close_on_halt:
                await self.close_positions("risk-halt")
        if self.now_ms - self.last_snapshot_ms >= self._snapshot_ms:
            self._snapshot()
        if (self._dirty or self._pending or self._events) and (
            not self._batch or self.source.position - self.cursor >= self._batch
        ):
            self.commit()

    async def _handle_signal(self, sig: Signal, forced: bool) -> None:
        if forced and self.portfolio.quantity(sig.symbol) <= 0:
            return
        decision = self.risk.decide(
            sig, self.now_ms, self.portfolio, self.marks, forced=forced, rules=self.rules
        )
        note = decision.reason
        intent = decision.intent
        if intent is not None and (refused := self._over_limits()) is not None:
            intent, note = None, refused
        if intent is not None:
            note = await self._send(intent, sig.reason, sig)
        self._record_decision(sig, intent is not None, note)

    def _record_decision(self, sig: Signal, accepted: bool, note: str) -> None:
        self._pending.append(("signal", sig, (self.now_ms, accepted, note)))
        self._emit(
            "signal",
            {
                "symbol": sig.symbol,
                "side": sig.side.value,
                "reason": sig.reason,
                "accepted": accepted,
                "note": note,
            },
        )

    async def _send(self, intent: OrderIntent, reason: str, sig: Signal | None = None) -> str:
        """Send one order through the order manager (ledger first when live); what happened."""
        if intent.client_order_id is None:
            intent = intent.with_client_id(self._next_client_id())
        cid = str(intent.client_order_id)
        self.reasons[cid] = reason
        if self.live:
            self._commit_intent(intent)
        try:
            state = await self.manager.submit(
                intent, signal=sig, reference_price=self.marks.get(intent.symbol)
            )
            note = f"{state.status.value} {state.client_order_id}"
            if not state.status.is_open:
                # The ledger has it; the manager's map would grow by one per order all day.
                self.manager.orders.pop(state.client_order_id, None)
            ack = state.latency.ack_ns - state.latency.signal_ns
            if state.latency.signal_ns and ack >= 0:
                self.latency.record(ack)
        except (ExchangeRejectedError, UsageError) as exc:
            note = f"rejected: {exc.message}"
            rejected = OrderState.of_intent(
                self.venue.name, intent, OrderStatus.REJECTED, at_ms=self.now_ms
            )
            if self.live:
                self._pending.append(("order", rejected, None))
            if "on_order" in self._hooks:
                self._hook_calls.append(("on_order", rejected))
        except NetworkUnavailableError as exc:
            if not self.live:
                raise
            # The venue could not be reached, or the outcome is unknown: the intent stays
            # PENDING in the ledger and is looked up until the venue answers (never resent).
            note = f"outcome unknown, looked up until the venue answers: {exc.message}"
            self._unresolved[cid] = OrderState.of_intent(
                self.venue.name, intent, OrderStatus.PENDING, at_ms=self.now_ms
            )
        return note

    # -- what a strategy asks for through ctx ------------------------------------------------
    async def _handle_request(self, request: OrderRequest) -> None:
        if request.action == "cancel":
            await self._cancel(request.target, "cancelled by the strategy")
        elif request.action == "replace":
            await self._replace(request)
        elif request.action == "oco":
            await self._place_oco(request)
        else:
            await self._place_request(request)

    def _intent_of(self, request: OrderRequest, *, held: bool = False) -> OrderIntent | str:
        """The intent a place request means (sized, within the risk limits), or why not."""
        from letrade_cli.trading.sizing import SizingRefused, size_quantity

        symbol, side = request.symbol, request.side
        if symbol not in self.rules and self.wanted and symbol not in self.wanted:
            return f"{symbol} is not one of the run's symbols"
        if side is Side.BUY and self.risk.halted:
            return "halted: no new entries"
        mark = self.marks.get(symbol)
        at = request.price or request.stop_price or mark
        if at is None:
            return "no price yet"
        size = request.size
        whole = (
            side is Side.SELL
            and size.quantity is None
            and size.quote is None
            and (size.fraction is None)
        )
        quantity = ZERO
        if not (held and whole):  # a held sell of "the position" is sized when it triggers
            try:
                quantity = size_quantity(
                    size,
                    side,
                    price=at,
                    equity=self.portfolio.equity(self.marks),
                    held=self.portfolio.quantity(symbol),
                    rules=self.rules.get(symbol),
                )
            except SizingRefused as exc:
                return str(exc)
            if side is Side.SELL and quantity > self.portfolio.quantity(symbol):
                return (
                    "nothing to sell"
                    if not self.portfolio.quantity(symbol)
                    else (f"sell of {quantity} is more than the position")
                )
            if side is Side.BUY and (refusal := self._entry_limits(symbol, quantity * at)):
                return refusal
        rule = self.rules.get(symbol)
        price = request.price
        if price is not None and rule is not None and rule.tick_size:
            price = floor_to_step(price, rule.tick_size, rule.min_price)
        return OrderIntent(
            symbol,
            side,
            quantity,
            request.type,
            price,
            request.time_in_force,
            request.client_order_id or None,
            stop_price=request.stop_price,
            trailing_delta=request.trailing_delta,
        )

    def _entry_limits(self, symbol: str, notional: Decimal) -> str | None:
        s = self.risk.settings
        mark = self.marks.get(symbol, ZERO)
        if s.max_position_notional:
            held = self.portfolio.quantity(symbol) * mark
            if held + notional > Decimal(str(s.max_position_notional)):
                return f"max position {s.max_position_notional:g} reached"
        if s.max_total_notional:
            exposure = self.portfolio.exposure(self.marks)
            if exposure + notional > Decimal(str(s.max_total_notional)):
                return f"max total notional {s.max_total_notional:g} reached"
        return None

    def _request_signal(self, request: OrderRequest) -> Signal:
        return Signal(request.symbol, request.side, request.reason, 1.0, 0, time.perf_counter_ns())

    async def _place_request(self, request: OrderRequest, list_id: str | None = None) -> bool:
        sig = self._request_signal(request)
        conditional = request.type.is_conditional
        intent = self._intent_of(request, held=conditional)
        if isinstance(intent, str):
            self._record_decision(sig, False, intent)
            return False
        if (refused := self._over_limits()) is not None:
            self._record_decision(sig, False, refused)
            return False
        if conditional:
            self._hold(intent, request.reason, list_id)
            note = f"held {intent.client_order_id} until {self._trigger_words(intent)}"
        else:
            note = await self._send(intent, request.reason, sig)
        self._record_decision(sig, True, note)
        return not note.startswith(("rejected", "outcome unknown"))

    @staticmethod
    def _trigger_words(intent: OrderIntent) -> str:
        if intent.trailing_delta:
            start = f" from {intent.stop_price}" if intent.stop_price is not None else ""
            return f"the price turns {intent.trailing_delta} bps{start}"
        return f"the price reaches {intent.stop_price}"

    def _hold(self, intent: OrderIntent, reason: str, list_id: str | None) -> None:
        """Hold a conditional order in the engine (and the ledger) until it triggers."""
        state = OrderState.of_intent(self.venue.name, intent, OrderStatus.NEW, at_ms=self.now_ms)
        state.order_list_id = list_id
        self.reasons[state.client_order_id] = reason
        self.conditional.add(state, reason, list_id)
        self._pending.append(("order", state, None))
        if "on_order" in self._hooks:
            self._hook_calls.append(("on_order", state.copy()))
        self._emit(
            "order",
            {"client_order_id": state.client_order_id, "symbol": state.symbol,
             "type": state.type.value, "status": "HELD", "stop_price": str(state.stop_price),
             "trailing_delta": state.trailing_delta, "reason": reason},
        )  # fmt: skip

    async def _place_oco(self, request: OrderRequest) -> None:
        above, below = request.legs
        list_id = request.list_id
        if await self._place_request(above, list_id):
            self.conditional.link(list_id, above.client_order_id)
            await self._place_request(below, list_id)

    async def _trigger(self, held: HeldOrder) -> None:
        """A held order triggered: cancel its OCO sibling, send the order it becomes."""
        state = held.state
        cid = state.client_order_id
        for other in self.conditional.siblings(cid, held.list_id):
            await self._cancel(other, f"its OCO leg {cid} triggered")
        quantity = state.quantity
        held_qty = self.portfolio.quantity(state.symbol)
        if quantity <= 0 or quantity > held_qty:  # "the whole position", sized now
            quantity = held_qty
            rule = self.rules.get(state.symbol)
            if rule is not None:
                quantity = floor_to_step(quantity, rule.step_size, rule.min_qty)
        self._emit(
            "triggered",
            {"client_order_id": cid, "symbol": state.symbol, "type": state.type.value,
             "price": str(self.marks.get(state.symbol)), "reason": held.reason},
        )  # fmt: skip
        if quantity <= 0:
            state.status = OrderStatus.CANCELED
            state.updated_ms = self.now_ms
            self._pending.append(("order", state, None))
            if "on_order" in self._hooks:
                self._hook_calls.append(("on_order", state.copy()))
            return
        intent = OrderIntent(
            state.symbol,
            state.side,
            quantity,
            state.type.triggered_type,
            state.price if state.type.has_limit_price else None,
            state.time_in_force,
            cid,
        )
        self._pending.append(("order", replace(state, status=OrderStatus.NEW), None))
        await self._send(intent, held.reason)

    async def _cancel(self, cid: str, note: str) -> None:
        """Cancel one of the run's orders: held by the engine, or on the venue."""
        held = self.conditional.remove(cid)
        if held is not None:
            state = held.state
            state.status = OrderStatus.CANCELED
            state.updated_ms = self.now_ms
            self._pending.append(("order", state, None))
            if "on_order" in self._hooks:
                self._hook_calls.append(("on_order", state.copy()))
            self._emit("order", {"client_order_id": cid, "status": "CANCELED", "note": note})
            if held.list_id is not None:
                self.conditional.lists.pop(held.list_id, None)
            return
        order = self.manager.orders.get(cid)
        if order is None or not order.status.is_open:
            return
        try:
            state = await self.manager.cancel(order.symbol, cid)
        except LetradeError as exc:
            self._tell_now("cancel_failed", {"client_order_id": cid, "error": str(exc)})
            return
        self._pending.append(("order", state, None))
        if not state.status.is_open:
            self.manager.orders.pop(cid, None)

    async def _replace(self, request: OrderRequest) -> None:
        order = self.manager.orders.get(request.target)
        sig = Signal(order.symbol if order else "", order.side if order else Side.BUY, "replace")
        if order is None or not order.status.is_open or not order.type.has_limit_price:
            self._record_decision(sig, False, f"replace: {request.target} is not an open limit")
            return
        await self._cancel(request.target, f"replaced by {request.client_order_id}")
        if self.manager.orders.get(request.target) is not None:
            self._record_decision(sig, False, f"replace: {request.target} did not cancel")
            return
        quantity = request.size.quantity or order.remaining
        new = OrderRequest(
            "place",
            order.symbol,
            client_order_id=request.client_order_id,
            side=order.side,
            type=order.type,
            size=replace(request.size, quantity=quantity),
            price=request.price or order.price,
            time_in_force=order.time_in_force,
            reason=self.reasons.get(request.target, "replace"),
        )
        await self._place_request(new)

    async def close_positions(self, reason: str) -> None:
        """Sell every position at market (``reason``: ``end-of-run``, ``risk-halt``)."""
        for symbol, position in sorted(self.portfolio.positions.items()):
            if position.quantity <= 0:
                continue
            for order in self.open_orders(symbol):
                await self._cancel(order.client_order_id, reason)
            request = OrderRequest("place", symbol, side=Side.SELL, reason=reason)
            await self._place_request(request)

    async def _resolve(self) -> None:
        """Look up the orders whose send got no answer; record what the venue says."""
        self._last_resolve_ms = self.now_ms
        for cid, pending in list(self._unresolved.items()):
            try:
                state = await self.venue.get_order(pending.symbol, cid)
            except LetradeError:
                continue  # still unreachable: next time
            del self._unresolved[cid]
            if state is None:  # the venue never saw it: nothing was placed
                pending.status = OrderStatus.REJECTED
                state = pending
            self._pending.append(("order", state, None))
            self._dirty = True

    def _over_limits(self) -> str | None:
        """Why a new order may not go out now (``--max-orders-per-minute/--max-open-orders``)."""
        now = self.now_ms
        times = self._order_times
        while times and times[0] <= now - 60_000:
            times.popleft()
        if self.config.max_orders_per_minute and len(times) >= self.config.max_orders_per_minute:
            return f"refused: --max-orders-per-minute {self.config.max_orders_per_minute}"
        if self.config.max_open_orders:
            open_now = sum(1 for o in self.manager.orders.values() if o.status.is_unresolved)
            if open_now >= self.config.max_open_orders:
                return f"refused: --max-open-orders {self.config.max_open_orders}"
        times.append(now)
        return None

    def _commit_intent(self, intent: Any) -> Any:
        """Commit the order (with its client id) before it is sent; tell it at once."""
        cid = intent.client_order_id or self._next_client_id()
        intent = intent.with_client_id(cid)
        pending = OrderState.of_intent(
            self.venue.name, intent, OrderStatus.PENDING, at_ms=self.now_ms
        )
        with self.ledger.transaction():
            self.ledger.upsert_order(self.run_id, pending, reason=self.reasons.get(cid, ""))
            self.ledger.put_state(self.run_id, {"order_seq": str(self.order_seq)})
        self._tell_now(
            "order_intent",
            {"client_order_id": cid, "symbol": intent.symbol, "side": intent.side.value,
             "type": intent.type.value, "quantity": str(intent.quantity)},
        )  # fmt: skip
        return intent

    def _on_order(self, state: OrderState, fill: Fill | None) -> None:
        if self.live and not state.client_order_id.startswith(f"{self.run_id}-"):
            return  # the account's other orders (another run, a person): never this run's
        if fill is not None and self.live:
            key = (fill.symbol, fill.trade_id)
            if fill.trade_id and key in self.known_trades:
                return  # already in the ledger (a look-up after a restart reports it again)
            self.known_trades.add(key)
        self._pending.append(("order", state, None))
        self._touched.add(state.symbol)
        if self.live:
            self._schedule_flush()  # acks and fills are committed when seen, not at the next tick
        if "on_order" in self._hooks:
            self._hook_calls.append(("on_order", state))
        if fill is not None and self.conditional.lists:
            list_id = self.conditional.list_of(state.client_order_id)
            if list_id is not None:  # an OCO's resting leg filled: the other one goes
                self._cancels.extend(self.conditional.siblings(state.client_order_id, list_id))
        if fill is not None:
            pnl = self.broker.last_pnl if self.broker is not None else self._book_fill(fill)
            self._pending.append(("fill", fill, pnl))
            reason = self.reasons.get(fill.client_order_id, "")
            if "on_fill" in self._hooks:
                view = FillView(
                    fill.symbol, fill.side, fill.price, fill.quantity, fill.fee,
                    fill.client_order_id, reason, pnl, self.portfolio.quantity(fill.symbol),
                    fill.ts_ms,
                )  # fmt: skip
                self._hook_calls.append(("on_fill", view))
            self._emit(
                "fill",
                {
                    "symbol": fill.symbol,
                    "side": fill.side.value,
                    "price": str(fill.price),
                    "quantity": str(fill.quantity),
                    "fee": str(fill.fee),
                    "pnl": str(pnl),
                    "client_order_id": fill.client_order_id,
                    "reason": reason,
                },
            )

    def _book_fill(self, fill: Fill) -> Decimal:
        """Book a venue's fill into the run's portfolio (fees in base, quote, or elsewhere)."""
        base, quote = self.source.split_symbol(fill.symbol)
        if fill.fee_asset in ("", quote):
            return self.portfolio.apply(fill)
        if fill.fee_asset == base and fill.side is Side.BUY:
            # The fee came out of the base asset received: hold that much less, pay the full
            # notional; the fee in quote terms is what it was worth at the fill price.
            return self.portfolio.apply_base_fee(fill)
        return self.portfolio.apply(replace(fill, fee=ZERO))  # e.g. BNB: not in the run's cash

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        self._flush_scheduled = True
        asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._pending and self.failure is None:
            self.commit()

    def _snapshot(self) -> None:
        self.last_snapshot_ms = self.now_ms
        portfolio, marks = self.portfolio, self.marks
        cash, unrealized = portfolio.cash, portfolio.unrealized(marks)
        equity = portfolio.equity(marks)
        shown = json.dumps({s: str(marks[s]) for s in sorted(marks)})
        # The account as it is now: a batch commits later, when cash and marks have moved on.
        self._pending.append(("equity", None, (self.now_ms, equity, cash, unrealized, shown)))
        self._emit("equity", {"equity": str(equity), "cash": str(cash)})

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        # Told to the view and --json only once committed: what a reader saw is in the ledger.
        self._events.append(Event(kind, self.now_ms, data))

    # -- the ledger --------------------------------------------------------------------------
    def commit(self) -> None:
        """Write every pending event with the cursor and the account, in one transaction."""
        ledger, run_id, portfolio = self.ledger, self.run_id, self.portfolio
        pending, self._pending = self._pending, []
        touched, self._touched = self._touched, set()
        signals: list[tuple[int, str, str, str, bool, str]] = []
        orders: list[tuple[OrderState, str, bool]] = []
        fills: list[tuple[Fill, Decimal]] = []
        equity: list[tuple[int, Decimal, Decimal, Decimal, str]] = []
        for kind, item, extra in pending:
            if kind == "signal":
                ts_ms, accepted, note = extra  # the signal's own time: a batch commits later
                signals.append((ts_ms, item.symbol, item.side.value, item.reason, accepted, note))
            elif kind == "order":
                cid = item.client_order_id
                if item.order_list_id is None and self.conditional.member_of:
                    item.order_list_id = self.conditional.list_of(cid)
                orders.append((item, self.reasons.get(cid, ""), cid in self.conditional.held))
            elif kind == "fill":
                fills.append((item, extra))
            else:
                equity.append(extra)
        with ledger.transaction():
            ledger.add_signals(run_id, signals)
            ledger.add_fills(run_id, fills)
            ledger.add_equity(run_id, equity)
            ledger.upsert_orders(run_id, orders)
            for symbol in sorted(touched):
                p = portfolio.positions.get(symbol)
                if p is not None:
                    ledger.put_position(run_id, symbol, p.quantity, p.cost, p.realized)
            ledger.put_state(run_id, self._state())
        self.cursor = max(self.cursor, self.source.position)
        self._dirty = False
        events, self._events = self._events, []
        for event in events:
            if event.kind != "equity":
                self.recent.append(event)
            if self.on_event is not None:
                self.on_event(event)

    def _state(self) -> dict[str, str]:
        risk = self.risk
        return {
            "cash": str(self.portfolio.cash),
            "fees": str(self.portfolio.fees),
            "realized": str(self.portfolio.realized),
            "cursor": str(self.source.position),
            "clock_ms": str(self.now_ms),
            "start_ms": str(self.start_ms),
            "end_ms": str(self.end_ms),
            "last_snapshot_ms": str(self.last_snapshot_ms),
            "trade_seq": str(self.broker.trade_seq if self.broker is not None else 0),
            "order_seq": str(self.order_seq),
            "risk_day": str(risk.day),
            "day_start_equity": str(risk.day_start_equity),
            "halted": "1" if risk.halted else "0",
            "cache_hits": str(self._cache_base[0] + self.source.cache.hits),
            "cache_misses": str(self._cache_base[1] + self.source.cache.misses),
        }

    # -- running -----------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> bool:
        """Run until the duration passes, the data ends or ``stop``; True when it completed."""
        if stop is not None:
            asyncio.get_running_loop().create_task(_forward(stop, self.stop))
        unsubscribe = self.source.bus.subscribe(self.on_tick)
        try:
            if self.source.replay:
                await self.source.run(self.stop, self.step)
                completed = True
            else:
                # A resumed live run keeps its original end (live ticks carry wall-clock time).
                left = (self.end_ms - time.time() * 1000) / 1000 if self.end_ms else None
                deadline = asyncio.get_running_loop().call_later(
                    max(0.0, left) if left is not None else self.config.duration_s, self.stop.set
                )
                await self.source.run(self.stop, self.step)
                deadline.cancel()
                completed = self.now_ms >= self.end_ms or not (stop and stop.is_set())
            if stop is not None and stop.is_set():
                completed = False
        finally:
            unsubscribe()
        if self.failure is not None:
            if not self._batch:  # a batch's rows are of ticks that completed: all kept
                self._pending = [p for p in self._pending if p[0] in ("order", "fill")]
            self.finish(False, status="failed")
            raise self.failure
        if completed and self.config.close_at_end:
            await self.close_positions("end-of-run")
            self._run_hooks()
        if self.live and not completed and not self.config.keep_orders:
            await self.cancel_open_orders()
        self.finish(completed)
        return completed

    async def cancel_open_orders(self) -> int:
        """Cancel this run's orders still open on the venue (never anyone else's)."""
        cancelled = 0
        if self._pending:
            self.commit()  # what was seen last is in the ledger before it is read back
        for order in self.ledger.orders(self.run_id, unresolved=True):
            try:
                state = await self.manager.cancel(order.symbol, order.client_order_id)
            except (ExchangeRejectedError, NetworkUnavailableError) as exc:
                found = None
                if isinstance(exc, ExchangeRejectedError):  # final already: record how it ended
                    with contextlib.suppress(LetradeError):
                        found = await self.venue.get_order(order.symbol, order.client_order_id)
                        if found is None and order.status is OrderStatus.PENDING:
                            order.status = OrderStatus.REJECTED  # the venue never had it
                            found = order
                if found is not None and not found.status.is_open:
                    self._pending.append(("order", found, None))
                    self._unresolved.pop(order.client_order_id, None)
                    continue
                self._tell_now(
                    "cancel_failed", {"client_order_id": order.client_order_id, "error": str(exc)}
                )
                continue
            for _ in range(CANCEL_READBACKS):  # venues whose cancels complete a moment later
                if not state.status.is_open:
                    break
                await asyncio.sleep(0.2)
                with contextlib.suppress(LetradeError):
                    state = await self.venue.get_order(order.symbol, order.client_order_id) or state
            cancelled += 1
            self._pending.append(("order", state, None))
        if self._pending:
            self.commit()
        return cancelled

    def finish(self, completed: bool, *, status: str | None = None) -> None:
        """Final snapshot and status (``finished``, ``interrupted`` or ``failed``)."""
        if self.now_ms:
            self._snapshot()
        if completed:  # held orders end with the run (an interrupted one keeps them to resume)
            for held in self.conditional.for_symbol():
                self.conditional.remove(held.state.client_order_id)
                held.state.status = OrderStatus.EXPIRED
                held.state.updated_ms = self.now_ms
                self._pending.append(("order", held.state, None))
        self.commit()
        with self.ledger.transaction():
            self.ledger.set_status(
                self.run_id,
                status or ("finished" if completed else "interrupted"),
                int(time.time() * 1000),
            )
        self.finished = completed

    def view(self) -> dict[str, Any]:
        """What the live view, the heartbeat and the final summary show."""
        portfolio, marks = self.portfolio, self.marks
        equity = portfolio.equity(marks)
        elapsed = max(time.monotonic() - self._wall0, 1e-9)
        cache = self.source.cache.stats()
        lat = self.latency.summary()
        return {
            "run_id": self.run_id,
            "mode": "live" if self.live else "paper",
            "clock_ms": self.now_ms,
            "ticks": self.ticks,
            "bad_prices": self.bad_prices,
            "ticks_per_s": round(self.ticks / elapsed, 1),
            "equity": str(equity),
            "cash": str(portfolio.cash),
            "pnl": str(equity - portfolio.initial_cash),
            "realized": str(portfolio.realized),
            "unrealized": str(portfolio.unrealized(marks)),
            "fees": str(portfolio.fees),
            "halted": self.risk.halted,
            "positions": {
                s: {
                    "quantity": str(p.quantity),
                    "avg_cost": str(p.avg_cost),
                    "mark": str(marks.get(s, ZERO)),
                }
                for s, p in sorted(portfolio.positions.items())
                if p.quantity
            },
            "cache": {
                "hit_rate": round(cache.hit_rate, 4),
                "hits": cache.hits,
                "misses": cache.misses,
            },
            "latency_ms": {k: lat[k] / 1e6 for k in ("p50", "p90", "p99", "max")}
            | {"count": lat["count"]},
            "recent": [{"kind": e.kind, "ts_ms": e.ts_ms, **e.data} for e in self.recent],
            **({"venue": self._venue_view()} if self.live else {}),
        }

    def _venue_view(self) -> dict[str, Any]:
        """A live venue's stream state and rate-limit figures (what was refused or waited)."""
        venue: Any = self.venue
        pacer = getattr(venue, "pacer", None)
        return {
            "stream": getattr(venue, "stream_state", "off"),
            "refusals": getattr(venue, "refusals", 0),
            "pacer_waits": getattr(pacer, "waits", 0),
            "pacer_waited_s": round(float(getattr(pacer, "waited_s", 0.0)), 3),
            "reconcile_differences": len(self.differences),
        }


async def _forward(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


__all__ = [
    "DryRun",
    "DryRunConfig",
    "Event",
    "ReconcileHaltError",
    "Side",
    "StrategyError",
    "new_run_id",
]


def _user_frame(exc: BaseException) -> str:
    """``file:line`` of the innermost traceback frame outside letrade (the strategy's code)."""
    import traceback

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if not os.path.abspath(frame.filename).startswith(here):
            where = f"{frame.filename}:{frame.lineno}"
    return where
