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
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
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
    OrderState,
    OrderStatus,
    Side,
    Signal,
    SymbolRules,
)
from letrade_cli.core.tick import Tick
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.trading.paper import PaperBroker, to_decimal
from letrade_cli.trading.portfolio import Portfolio, Position
from letrade_cli.trading.risk import DAY_MS, RiskManager
from letrade_cli.trading.strategies import Strategy, StrategyContext, load_strategy
from letrade_cli.trading.venue import TradingVenue

RECENT = 20
CANCEL_READBACKS = 10  # reads of a cancel that has not completed yet, 0.2 s apart
RESOLVE_EVERY_MS = 1000  # how often orders sent without an answer are looked up again


@dataclass(slots=True)
class DryRunConfig:
    """What a run does; stored with the run so ``--resume`` needs only its id."""

    strategy: str = "sma-cross"
    params: dict[str, Any] = field(default_factory=dict)
    symbols: list[str] = field(default_factory=list)
    venue: str = "sim"
    replay: str | None = None
    speed: float | None = None
    balance: str = "10000"
    quote: str = "USDT"
    fee_bps: str = "10"
    slippage_bps: str = "1"
    duration_s: float = 86_400.0
    snapshot_s: float = 60.0
    risk: dict[str, Any] = field(default_factory=lambda: asdict(RiskSettings()))
    max_loss: float = 0.0  # halt when equity falls this far below the start (0: no limit)
    max_orders_per_minute: int = 0  # signals beyond it are refused (0: no limit)
    max_open_orders: int = 0
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
        self.ctx = StrategyContext(source.cache)
        self.wanted = {s.upper() for s in config.symbols}
        self.marks: dict[str, Decimal] = {}
        self._traded: dict[str, bool] = {}
        self.rules: dict[str, SymbolRules] = {}  # symbol -> whether this run trades it
        self.now_ms = 0
        self.start_ms = 0
        self.end_ms = 0
        self.cursor = 0  # frames already committed (a resumed replay warms up to here)
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
        self._unresolved: dict[str, OrderState] = {}  # sent, no answer: looked up until known
        self._last_resolve_ms = 0

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
        if self.broker is not None:
            self.broker.restore(
                ledger.orders(run_id, open_only=True), int(state.get("trade_seq", 0))
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
        self.marks[symbol] = to_decimal(price)
        try:
            signals = self.strategy.on_tick(tick, self.ctx)
        except Exception as exc:  # the user's code: stop, keep what is committed
            self._signals.clear()
            name = getattr(self.strategy, "name", self.config.strategy)
            when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now_ms / 1000))
            self.failure = StrategyError(
                f"strategy {name} raised {type(exc).__name__}: {exc} on {symbol} at "
                f"{when}.{now_ms % 1000:03d}Z; the run stopped, nothing of that tick was kept",
                hint=f"fix the strategy, then `--resume {self.run_id}`",
            )
            self.stop.set()
            return
        if self.source.position <= self.cursor:
            return  # warming up a resumed run: the strategy only
        self.ticks += 1
        risk = self.risk
        if now_ms // DAY_MS != risk.day:
            risk.new_day(now_ms, self.portfolio.equity(self.marks))
            self._dirty = True
        if self.broker is not None:
            self.broker.on_tick(tick)
        exit_signal = risk.exit_signal(symbol, self.marks[symbol], self.portfolio, tick.recv_ns)
        if exit_signal is not None:
            self._signals.append((exit_signal, True))
        for sig in signals:
            self._signals.append((sig, False))

    async def step(self) -> None:
        """Send the accepted signals, then commit what this tick caused."""
        if self.failure is not None:
            return
        if (
            self.config.max_loss
            and not self.risk.halted
            and self.portfolio.equity(self.marks) - self.portfolio.initial_cash
            <= -Decimal(str(self.config.max_loss))
        ):
            self.risk.halted = True
            self._emit("halt", {"reason": f"loss reached --max-loss {self.config.max_loss:g}"})
            self._dirty = True
        if self._signals:
            signals, self._signals = self._signals, []
            for sig, forced in signals:
                await self._handle_signal(sig, forced)
        if self._unresolved and self.now_ms - self._last_resolve_ms >= RESOLVE_EVERY_MS:
            await self._resolve()
        if self.portfolio.positions and self.risk.check_daily_loss(
            self.portfolio.equity(self.marks)
        ):
            self._emit(
                "halt", {"reason": f"daily loss reached {self.risk.settings.max_daily_loss:g}"}
            )
            self._dirty = True
        if self.now_ms - self.last_snapshot_ms >= self.config.snapshot_s * 1000:
            self._snapshot()
        if self._dirty or self._pending or self._events:
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
            if self.live:
                intent = self._commit_intent(intent)
            try:
                state = await self.manager.submit(
                    intent, signal=sig, reference_price=self.marks.get(sig.symbol)
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
                if self.live and intent.client_order_id:
                    rejected = OrderState.of_intent(self.venue.name, intent, OrderStatus.REJECTED)
                    self._pending.append(("order", rejected, None))
            except NetworkUnavailableError as exc:
                if not self.live:
                    raise
                # The venue could not be reached, or the outcome is unknown: the intent stays
                # PENDING in the ledger and is looked up until the venue answers (never resent).
                note = f"outcome unknown, looked up until the venue answers: {exc.message}"
                self._unresolved[str(intent.client_order_id)] = OrderState.of_intent(
                    self.venue.name, intent, OrderStatus.PENDING, at_ms=self.now_ms
                )
        accepted = intent is not None
        self._pending.append(("signal", sig, (accepted, note)))
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
        """Give the order its client id and commit it before it is sent; tell it at once."""
        from dataclasses import replace

        cid = self._next_client_id()
        intent = replace(intent, client_order_id=cid)
        pending = OrderState.of_intent(
            self.venue.name, intent, OrderStatus.PENDING, at_ms=self.now_ms
        )
        with self.ledger.transaction():
            self.ledger.upsert_order(self.run_id, pending)
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
        if fill is not None:
            pnl = self.broker.last_pnl if self.broker is not None else self._book_fill(fill)
            self._pending.append(("fill", fill, pnl))
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
                },
            )

    def _book_fill(self, fill: Fill) -> Decimal:
        """Book a venue's fill into the run's portfolio (fees in base, quote, or elsewhere)."""
        from dataclasses import replace

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
        equity = self.portfolio.equity(self.marks)
        self._pending.append(("equity", self.now_ms, equity))
        self._emit("equity", {"equity": str(equity), "cash": str(self.portfolio.cash)})

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        # Told to the view and --json only once committed: what a reader saw is in the ledger.
        self._events.append(Event(kind, self.now_ms, data))

    # -- the ledger --------------------------------------------------------------------------
    def commit(self) -> None:
        """Write every pending event with the cursor and the account, in one transaction."""
        ledger, run_id, portfolio = self.ledger, self.run_id, self.portfolio
        pending, self._pending = self._pending, []
        touched, self._touched = self._touched, set()
        with ledger.transaction():
            for kind, item, extra in pending:
                if kind == "signal":
                    ledger.add_signal(
                        run_id, self.now_ms, item.symbol, item.side.value, item.reason, *extra
                    )
                elif kind == "order":
                    ledger.upsert_order(run_id, item)
                elif kind == "fill":
                    ledger.add_fill(run_id, item, extra)
                else:
                    marks = {s: str(m) for s, m in sorted(self.marks.items())}
                    ledger.add_equity(
                        run_id, item, extra, portfolio.cash, portfolio.unrealized(self.marks), marks
                    )
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
            self._pending = [p for p in self._pending if p[0] in ("order", "fill")]
            self.finish(False, status="failed")
            raise self.failure
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
