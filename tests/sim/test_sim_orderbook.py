from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.sim.orderbook import Order, OrderBook, OrderType, Side

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("limit"), st.sampled_from([Side.BUY, Side.SELL]),
            st.integers(90, 110), st.integers(1, 20),
        ),
        st.tuples(st.just("market"), st.sampled_from([Side.BUY, Side.SELL]), st.just(0),
                  st.integers(1, 40)),
        st.tuples(st.just("cancel"), st.just(Side.BUY), st.integers(0, 60), st.just(0)),
        st.tuples(st.just("amend"), st.just(Side.BUY), st.integers(0, 60), st.integers(1, 20)),
    ),
    max_size=60,
)  # fmt: skip


def resting_qty(book: OrderBook) -> int:
    return sum(o.qty for o in book.resting())


@settings(max_examples=150, deadline=None)
@given(ops)
def test_book_properties(sequence: list[tuple[str, Side, int, int]]) -> None:
    book = OrderBook()
    next_id = 0
    for kind, side, price, qty in sequence:
        before = resting_qty(book)
        if kind in ("limit", "market"):
            next_id += 1
            snapshot = {o.id: (o.price, o.seq, o.qty) for o in book.resting()}
            order = Order(
                next_id, side, qty, price if kind == "limit" else None,
                OrderType.LIMIT if kind == "limit" else OrderType.MARKET,
            )  # fmt: skip
            fills = book.submit(order)
            filled = sum(f.qty for f in fills)
            rested = order.qty if kind == "limit" else 0
            # quantity conserved: makers lose exactly what the taker got; the rest rests
            assert resting_qty(book) == before - filled + rested
            assert filled + order.qty == qty
            # price-time priority: fills walk best price first, FIFO within a price
            keys = [(snapshot[f.maker_id][0], snapshot[f.maker_id][1]) for f in fills]
            if side is Side.BUY:
                assert keys == sorted(keys)
                assert all(price >= f.price for f in fills) if kind == "limit" else True
            else:
                assert keys == sorted(keys, key=lambda k: (-k[0], k[1]))
                assert all(price <= f.price for f in fills) if kind == "limit" else True
            # a maker is only skipped when it did not exist or was fully consumed
            for f in fills[:-1]:
                assert f.maker_done
        elif kind == "cancel":
            others = {o.id: o.qty for o in book.resting() if o.id != price}
            was = book.get(price)
            removed = book.cancel(price)
            assert (removed is None) == (was is None)
            assert price not in book
            assert {o.id: o.qty for o in book.resting()} == others
            assert resting_qty(book) == before - (removed.qty if removed else 0)
        else:
            if book.amend(price, qty):
                assert book.get(price) is not None and book.get(price).qty == qty  # type: ignore[union-attr]
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask
        bids, asks = book.depth(1000)
        assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
        assert [p for p, _ in asks] == sorted(p for p, _ in asks)
        assert sum(q for _, q in bids) + sum(q for _, q in asks) == resting_qty(book)


def test_partial_fill_and_time_priority() -> None:
    book = OrderBook()
    book.submit(Order(1, Side.SELL, 5, 100))
    book.submit(Order(2, Side.SELL, 5, 100))
    book.submit(Order(3, Side.SELL, 5, 101))
    fills = book.submit(Order(4, Side.BUY, 7, None, OrderType.MARKET))
    assert [(f.maker_id, f.qty, f.price) for f in fills] == [(1, 5, 100), (2, 2, 100)]
    assert book.top() is None
    assert book.depth(5)[1] == [(100, 3), (101, 5)]
    fills = book.submit(Order(5, Side.BUY, 10, 101))
    assert [(f.maker_id, f.qty) for f in fills] == [(2, 3), (3, 5)]
    assert book.depth(5) == ([(101, 2)], [])


def test_generator_book_is_never_crossed_and_deterministic() -> None:
    from letrade_cli.sim.generator import QUOTE, TRADE, MarketEngine
    from letrade_cli.venues.binance.sim.markets import binance_markets

    def run() -> list[tuple[int, ...]]:
        engine = MarketEngine(binance_markets(), 7, 2000)
        engine.set_active({"BTCUSDT", "XRPUSDT"}, 0.0, 1_700_000_000_000)
        out: list[tuple[int, ...]] = []
        for i in range(1, 200):
            for _sym, evs in sorted(engine.step(i * 0.005, 0.0).items()):
                out.extend(e[:1] + e[2:] for e in evs)
            for feed in engine.feeds.values():
                top = feed.book.top()
                assert top is not None and top[0] < top[2]
        return out

    a, b = run(), run()
    assert a == b
    assert any(e[0] == TRADE for e in a) and any(e[0] == QUOTE for e in a)
