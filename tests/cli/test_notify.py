"""`--notify URL`: run events posted to a webhook; a dead one changes nothing; the token is secret.

A local aiohttp server on its own loop in a thread receives the posts. Replays over a small
recorded frame file make the paper runs deterministic; the reconciliation mismatch is built on
the sim as in ``test_trade_run``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from letrade_cli.trading.ledger import Ledger
from tests.cli.test_trade_cli import SimThread, letrade, one_error_line
from tests.cli.test_trade_cli import profile as profile
from tests.cli.test_trade_cli import sim as sim
from tests.cli.test_trade_run import _place, _seed_run, env_for, on_sim

TOKEN = "nt-5c1e9a7b3d2f4e6a8b0c1d3e5f7a9b1c"
TOKEN_ENV = {"LETRADE_TEST_NOTIFY_TOKEN": TOKEN}
STRATEGY = "tests.cli.strategies:EveryTick"


class Webhook:
    """An aiohttp server in a thread; ``posts`` holds (headers, JSON body) of every POST."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        self.posts.append((dict(request.headers), await request.json()))
        return web.Response(status=204)

    def _serve(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            app = web.Application()
            app.router.add_post("/hook/{secret}", self._handle)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = runner.addresses[0][1]
            self._ready.set()
            await self._stop.wait()
            await runner.cleanup()

        self._loop.run_until_complete(main())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook/path-secret"

    def events(self) -> list[str]:
        return [body["event"] for _, body in self.posts]

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(15)

    def stop(self) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)


@pytest.fixture
def hook() -> Iterator[Webhook]:
    server = Webhook()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recorded frame file of the sim's venue: 40 trades of BTCUSDT, one a second."""
    path = tmp_path_factory.mktemp("frames") / "trades.txt"
    t0 = 1_700_000_000
    lines = [f"ws://127.0.0.1:9/stream#venue=sim <-> {t0}.000000000"]
    for n in range(40):
        price = 30000 - n * 10
        data = {"e": "trade", "E": (t0 + n) * 1000, "s": "BTCUSDT", "t": n + 1,
                "p": f"{price}.00", "q": "0.01", "T": (t0 + n) * 1000, "m": False}  # fmt: skip
        lines.append(
            f"{t0 + n}.000000000: " + json.dumps({"stream": "btcusdt@trade", "data": data})
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def paper_profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """No cooldown; a daily loss of a cent halts (the first round trip's fees reach it)."""
    path = tmp_path_factory.mktemp("profiles") / "notify.yaml"
    path.write_text(
        "trading:\n"
        "  risk: {cooldown_s: 0, max_daily_loss: 0.01}\n"
        "  notify: {token_env: LETRADE_TEST_NOTIFY_TOKEN}\n"
    )
    return str(path)


def replay(frames: Path, profile: str, db: Path, *extra: str) -> Any:
    return letrade(
        "dryrun", "--replay", str(frames), "--minutes", "5", "-s", "BTCUSDT", "--strategy",
        STRATEGY, "--db", str(db), "--json", "--profile", profile, *extra, env=TOKEN_ENV,
    )  # fmt: skip


def signal_rows(db: Path) -> list[tuple[str, str, str, int, str]]:
    ledger = Ledger(db)
    try:
        rows = ledger.conn.execute(
            "SELECT symbol, side, reason, accepted, note FROM signals ORDER BY id"
        ).fetchall()
    finally:
        ledger.close()
    # the note names the run's client ids: compare without them
    return [(s, side, r, a, n.rsplit(" ", 1)[0]) for s, side, r, a, n in rows]


def no_secret(*outputs: str) -> None:
    for text in outputs:
        assert TOKEN not in text
        assert "path-secret" not in text


def test_halt_end_and_fills_only_with_the_flag(
    hook: Webhook, frames: Path, paper_profile: str, tmp_path: Path
) -> None:
    done = replay(frames, paper_profile, tmp_path / "a.sqlite3", "--notify", hook.url)
    assert done.returncode == 0, done.stderr
    no_secret(done.stdout, done.stderr)
    kinds = hook.events()
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert "halt" in kinds and "fill" not in kinds
    run_id = json.loads(done.stdout.splitlines()[0])["run_id"]
    for headers, body in hook.posts:
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert body["run_id"] == run_id and body["mode"] == "paper" and body["source"] == "letrade"
    halt = next(body for _, body in hook.posts if body["event"] == "halt")
    assert "daily loss" in halt["reason"]
    end = hook.posts[-1][1]
    assert end["status"] == "completed" and end["halted"] is True
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["notify"]["failed"] == 0 and summary["notify"]["to"].startswith("http://")

    hook.posts.clear()
    with_fills = replay(
        frames, paper_profile, tmp_path / "b.sqlite3", "--notify", hook.url, "--notify-fills"
    )
    assert with_fills.returncode == 0, with_fills.stderr
    fills = [body for _, body in hook.posts if body["event"] == "fill"]
    assert len(fills) >= 2 and {f["side"] for f in fills} == {"BUY", "SELL"}
    assert hook.events()[-1] == "end"


def test_a_dead_webhook_changes_nothing_and_is_told_once(
    frames: Path, paper_profile: str, tmp_path: Path
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook/path-secret"
    quiet = replay(frames, paper_profile, tmp_path / "quiet.sqlite3")
    loud = replay(frames, paper_profile, tmp_path / "dead.sqlite3", "--notify", dead,
                  "--notify-fills")  # fmt: skip
    assert quiet.returncode == loud.returncode == 0, loud.stderr
    no_secret(loud.stdout, loud.stderr)
    assert signal_rows(tmp_path / "quiet.sqlite3") == signal_rows(tmp_path / "dead.sqlite3")
    warnings = [line for line in loud.stderr.splitlines() if line.startswith("warning: notify")]
    assert len(warnings) == 1 and f"127.0.0.1:{dead.split(':')[2].split('/')[0]}" in warnings[0]
    summary = json.loads(loud.stdout.splitlines()[-1])
    assert summary["notify"]["failed"] >= 2 and summary["notify"]["sent"] == 0


def test_a_url_with_credentials_is_refused_masked(
    frames: Path, paper_profile: str, tmp_path: Path
) -> None:
    done = replay(frames, paper_profile, tmp_path / "c.sqlite3", "--notify",
                  "https://alice:hunter2@hooks.example/x")  # fmt: skip
    assert done.returncode == 2
    line = one_error_line(done)
    assert "hunter2" not in done.stderr + done.stdout and "alice" not in done.stderr
    assert "***@hooks.example" in line
    unset = letrade("dryrun", "--replay", str(frames), "--minutes", "1", "--db",
                    str(tmp_path / "d.sqlite3"), "--notify", "http://127.0.0.1:9/h",
                    "--notify-token-env", "LETRADE_TEST_NO_SUCH_VAR")  # fmt: skip
    assert unset.returncode == 2 and "LETRADE_TEST_NO_SUCH_VAR is not set" in one_error_line(unset)


def test_a_reconciliation_mismatch_and_the_error_are_posted(
    hook: Webhook, sim: SimThread, profile: str, tmp_path: Path
) -> None:
    db, run_id = tmp_path / "ledger.sqlite3", "rfeed0f2"
    on_sim(sim, _place(sim, f"{run_id}-7", type="LIMIT", timeInForce="GTC", price="1000.00",
                       quantity="0.01"))  # fmt: skip
    _seed_run(db, run_id, [])
    done = letrade(
        "trade", "run", "--resume", run_id, "--on-mismatch", "halt", "--db", str(db),
        "--profile", profile, "--notify", hook.url, "--notify-token-env",
        "LETRADE_TEST_NOTIFY_TOKEN", env={**env_for(sim), **TOKEN_ENV},
    )  # fmt: skip
    assert done.returncode == 1
    no_secret(done.stdout, done.stderr)
    kinds = hook.events()
    assert kinds[0] == "start" and kinds[-2:] == ["error", "end"]
    mismatches = [body for _, body in hook.posts if body["event"] == "reconcile"]
    assert mismatches and all(m["mismatch"] is True for m in mismatches)
    assert [m["kind"] for m in mismatches] == ["orphan"]
    error = hook.posts[-2][1]
    assert error["error"] in one_error_line(done) and error["mode"] == "live"
    assert hook.posts[-1][1]["status"] == "failed"
