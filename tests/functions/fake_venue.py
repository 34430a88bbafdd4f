"""A scripted local HTTP venue for function tests (no internet)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], Any]


class FakeVenue:
    """Answers GETs by path from queued replies (the last reply of a path repeats)."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[str] = []
        self.url = ""

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def json(self, path: str, body: Any) -> None:
        self.route(path, (200, {}, body))

    def reply(self, raw_path: str) -> Reply:
        self.requests.append(raw_path)
        path = raw_path.split("?", 1)[0]
        queue = self.routes.get(path)
        if not queue:
            return (404, {}, {"error": "not found"})
        return queue.pop(0) if len(queue) > 1 else queue[0]


@contextmanager
def serve_fake_venue() -> Iterator[FakeVenue]:
    fake = FakeVenue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = fake.reply(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def upbit_candle(market: str, minute: int, price: float, volume: float = 1.5) -> dict[str, Any]:
    """One Upbit minute candle at 2026-11-22T00:MM:00Z."""
    return {
        "market": market,
        "candle_date_time_utc": f"2026-11-22T00:{minute:02d}:00",
        "candle_date_time_kst": f"2026-11-22T09:{minute:02d}:00",
        "opening_price": price,
        "high_price": price + 10,
        "low_price": price - 10,
        "trade_price": price + 5,
        "timestamp": 1795305600000 + minute * 60000 + 59000,
        "candle_acc_trade_price": price * volume,
        "candle_acc_trade_volume": volume,
        "unit": 1,
    }
