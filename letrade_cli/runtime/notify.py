"""Run events posted to a webhook (``--notify URL``): fire and forget, never in the run's way.

What is posted, one JSON object each (``{"source": "letrade", "event": KIND, "run_id", "mode",
"ts_ms", ...}``): ``start`` and ``end`` of the run, ``halt``, ``error`` (the run's final error
line), ``reconcile`` when the difference is a mismatch, ``cancel_failed``, and ``fill`` only when
asked (``--notify-fills``).

Posting never slows or stops the run: ``notify`` only puts the message on a bounded queue
(a full queue drops it, counted) and one task posts them with a short timeout. Failures are
counted and the first one is told in one warning line on stderr. At the end the queue gets a
short time to drain (the ``end`` message), then whatever is left is dropped.

The bearer token comes from an environment variable (``--notify-token-env VAR``) and is sent as
``Authorization: Bearer ...``; it is never printed or logged. A URL with ``user:password@`` is
refused, and messages name the webhook by its scheme and host only (a path may hold a secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from typing import IO, Any
from urllib.parse import urlsplit

from letrade_cli.config.trading import NotifySettings
from letrade_cli.core.errors import ConfigError, UsageError

QUEUE_SIZE = 256
TIMEOUT_S = 3.0  # per post
DRAIN_S = 3.0  # how long the end of a run waits for the queue to empty
ALWAYS = frozenset({"start", "end", "halt", "error", "cancel_failed"})


def webhook_site(url: str) -> str:
    """``scheme://host[:port]``: how a webhook is named in any message (no user, path, query)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the webhook"
    return f"{parts.scheme}://{host}{port}"


def check_webhook(url: str) -> str:
    """``url`` when it is an http(s) URL without credentials; else a UsageError (masked)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        raise UsageError(
            "--notify is not a valid URL", hint="e.g. --notify https://hooks.example/letrade"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            "--notify must be an http:// or https:// URL",
            hint="e.g. --notify https://hooks.example/letrade",
        )
    if "@" in parts.netloc:
        raise UsageError(
            f"--notify {parts.scheme}://***@{webhook_site(url).split('://', 1)[1]}/…: a URL "
            "must not hold a user or password",
            hint="put a bearer token in an environment variable and name it with "
            "--notify-token-env",
        )
    return url


def resolve_notify(
    url: str | None,
    fills: bool | None,
    token_env: str | None,
    profile: NotifySettings,
) -> NotifySettings | None:
    """Flags over the profile's ``trading.notify``; None when no webhook is configured."""
    chosen = url if url is not None else profile.url
    if not chosen:
        if fills or token_env:
            raise UsageError("--notify-fills/--notify-token-env need --notify URL")
        return None
    env = token_env if token_env is not None else profile.token_env
    if env and not os.environ.get(env):
        raise ConfigError(
            f"the notify token variable {env} is not set",
            hint=f"export {env}=… (the token is never printed), or drop --notify-token-env",
        )
    return NotifySettings(
        url=check_webhook(chosen),
        fills=profile.fills if fills is None else fills,
        token_env=env,
    )


class Notifier:
    """Posts run events to one webhook from a bounded queue (see the module docstring)."""

    def __init__(
        self,
        settings: NotifySettings,
        *,
        mode: str,
        timeout_s: float = TIMEOUT_S,
        queue_size: int = QUEUE_SIZE,
        stderr: IO[str] | None = None,
    ) -> None:
        self.url = settings.url
        self.site = webhook_site(settings.url)
        self.fills = settings.fills
        self.mode = mode
        self.run_id = ""
        self.timeout_s = timeout_s
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._stderr = stderr
        self._headers = {"Content-Type": "application/json", "User-Agent": "letrade"}
        token = os.environ.get(settings.token_env, "") if settings.token_env else ""
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_size)
        self._session: Any = None
        self._worker: asyncio.Task[None] | None = None
        self._warned = False

    async def start(self) -> None:
        """Open the HTTP session and start posting."""
        import aiohttp

        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout_s), headers=self._headers
        )
        self._worker = asyncio.create_task(self._post_all(), name="letrade-notify")

    def notify(self, kind: str, data: dict[str, Any], ts_ms: int = 0) -> None:
        """Queue one message (never blocks; a full queue drops it)."""
        import orjson

        message = {
            "source": "letrade",
            "event": kind,
            "run_id": self.run_id,
            "mode": self.mode,
            "ts_ms": ts_ms or int(time.time() * 1000),
            **data,
        }
        try:
            body = orjson.dumps(message, default=str)
        except TypeError:
            body = orjson.dumps({k: str(v) for k, v in message.items()})
        try:
            self._queue.put_nowait(body)
        except asyncio.QueueFull:
            self.dropped += 1

    def on_event(self, kind: str, ts_ms: int, data: dict[str, Any]) -> None:
        """An engine event: posted when it is one of the kinds a webhook is told."""
        if (
            kind in ALWAYS
            or (kind == "reconcile" and data.get("mismatch"))
            or (kind == "fill" and self.fills)
        ):
            self.notify(kind, data, ts_ms)

    async def _post_all(self) -> None:
        while True:
            body = await self._queue.get()
            try:
                await self._post(body)
            finally:
                self._queue.task_done()

    async def _post(self, body: bytes) -> None:
        import aiohttp

        try:
            async with self._session.post(self.url, data=body) as answer:
                await answer.read()
                ok = answer.status < 300
                why = f"HTTP {answer.status}"
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            ok, why = False, type(exc).__name__
        if ok:
            self.sent += 1
            return
        self.failed += 1
        if not self._warned:
            self._warned = True
            stream = self._stderr if self._stderr is not None else sys.stderr
            stream.write(
                f"warning: notify: a post to {self.site} failed ({why}); the run goes on, "
                "failures are counted in the summary\n"
            )
            stream.flush()

    async def drain(self, drain_s: float = DRAIN_S) -> None:
        """Wait up to ``drain_s`` for every queued post to be sent or to fail."""
        if self._worker is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._queue.join(), drain_s)

    async def close(self, drain_s: float = DRAIN_S) -> None:
        """Give the queue ``drain_s`` to empty, then stop (what is left is dropped)."""
        if self._worker is not None:
            await self.drain(drain_s)
            self.dropped += self._queue.qsize()
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def summary(self) -> dict[str, Any]:
        """Posts sent, failed and dropped, and where to (scheme and host only)."""
        return {"to": self.site, "sent": self.sent, "failed": self.failed, "dropped": self.dropped}
