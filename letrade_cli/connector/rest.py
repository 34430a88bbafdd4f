"""Pooled REST client: one aiohttp session per venue, weights tracked, 429/418 honoured.

Every aiohttp error is translated here into the Letrade error tree, so callers never see
library types: unreachable -> NetworkUnavailableError, 429/418 -> RateLimitedError,
a venue error code -> ExchangeRejectedError. When a request may have reached the venue but no
answer came back (a timeout, a dropped connection, a 5xx) the error is
``OutcomeUnknownError``: an order sent that way must be looked up before it is sent again.

Signed requests (``RestRequest.signed``) go through the venue's injected ``RequestSigner``,
which encodes the parameters; the client sends its query string and body byte for byte.

Rate limits: with a ``pacer`` (:mod:`.pacer`) each request first waits until it fits the
venue's limits, and the usage each answer reports (read by the venue's dialect,
``read_usage``) is fed back to it, so the venue never has to say no; ``refusals`` counts the
429/418 answers that came anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import orjson
from yarl import URL

from letrade_cli.config.stream import RestSettings
from letrade_cli.core.errors import (
    ConfigError,
    ExchangeRejectedError,
    NetworkUnavailableError,
    OutcomeUnknownError,
    RateLimitedError,
)
from letrade_cli.venues.base import (
    RatePacer,
    RequestSigner,
    RestErrorReader,
    RestRequest,
    SignedRequest,
    Usage,
)

UsageReader = Callable[[Mapping[str, str], Any], "list[Usage]"]


# A back-off at most this long is waited out by the next call; a longer one is raised to the
# caller (an order is retried by the order manager, a start-up call fails with the wait).
BRIEF_BLOCK_S = 1.0


class RestClient:
    """JSON over HTTP to one venue: pooled keep-alive connections, optional request signing."""

    def __init__(
        self,
        base_url: str,
        settings: RestSettings | None = None,
        *,
        signer: RequestSigner | None = None,
        weight_header: str = "",
        read_error: RestErrorReader | None = None,
        pacer: RatePacer | None = None,
        read_usage: UsageReader | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.weight_header = weight_header  # the venue's used-weight header, if it sends one
        self.read_error = read_error  # the venue's error answers (its dialect's rest_error)
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self.settings = settings or RestSettings()
        self.pacer = pacer  # waits before a request the venue's limits would refuse
        self.read_usage = read_usage  # the venue's usage headers (its dialect's rate_usage)
        self.requests = 0
        self.errors = 0
        self.refusals = 0  # 429/418 answers
        self.used_weight: int | None = None
        self._blocked_until = 0.0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> RestClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            s = self.settings
            connector = aiohttp.TCPConnector(
                limit=s.pool_limit,
                limit_per_host=s.pool_limit_per_host,
                keepalive_timeout=s.keepalive_s,
                ttl_dns_cache=s.dns_cache_ttl_s,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=s.timeout_s),
                headers={"Accept": "application/json", "User-Agent": "letrade-cli"},
            )
        return self._session

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    @property
    def blocked_for_s(self) -> float:
        """Seconds left before the venue lets us call again after a 429/418."""
        return max(0.0, self._blocked_until - time.monotonic())

    async def get_json(self, request: RestRequest) -> Any:
        """GET ``request`` (unsigned market data) and return the decoded JSON body."""
        return await self.request(request)

    async def request(self, request: RestRequest) -> Any:
        """Send ``request`` with its method, signed when it says so; return the JSON body.

        Raises:
            ConfigError: a signed request but no keys (no signer) were configured.
            RateLimitedError: the venue asked us to back off (or still does).
            ExchangeRejectedError: the venue answered with an error code.
            OutcomeUnknownError: sent, but no usable answer (timeout, dropped, 5xx).
            NetworkUnavailableError: the venue could not be reached at all.
        """
        if (wait := self.blocked_for_s) > BRIEF_BLOCK_S:
            raise RateLimitedError(
                f"{self.host} asked us to back off; not calling it", retry_after=round(wait, 1)
            )
        if wait > 0:  # the venue said when: a moment is waited out, not failed on
            await asyncio.sleep(wait)
        if self.pacer is not None:
            await self.pacer.acquire(request)
        wire = self._encode(request)
        session = self._ensure_session()
        url = self.base_url + request.path
        target: str | URL = URL(f"{url}?{wire.query}", encoded=True) if wire.query else url
        self.requests += 1
        try:
            async with session.request(
                request.method, target, data=wire.body, headers=wire.headers or None
            ) as response:
                body = await response.read()
                self._track_weight(response.headers)
                return self._answer(request, response.status, response.headers, body)
        except aiohttp.ClientConnectorError as exc:
            self.errors += 1
            raise NetworkUnavailableError(f"cannot reach {self.host}: {_reason(exc)}") from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
            self.errors += 1
            reason = "timed out" if isinstance(exc, TimeoutError) else _reason(exc)
            raise OutcomeUnknownError(
                f"no answer from {self.host} for {request.method} {request.path}: {reason}"
            ) from exc

    def _encode(self, request: RestRequest) -> SignedRequest:
        if request.signed:
            if self.signer is None:
                raise ConfigError(
                    f"{request.method} {request.path} needs API keys and none are configured",
                    hint="set the key variables named in the profile (see `letrade trade --help`)",
                )
            return self.signer.sign(request.method, request.path, request.params)
        return SignedRequest(query=urlencode(request.params, doseq=True))

    def _answer(self, request: RestRequest, status: int, headers: Any, body: bytes) -> Any:
        if status in (418, 429):
            self._observe(headers, None)
            self.refusals += 1
            retry_after = self._retry_after(request, status, headers.get("Retry-After"))
            self._blocked_until = time.monotonic() + retry_after
            self.errors += 1
            raise RateLimitedError(
                f"{self.host} answered {status} for {request.path}", retry_after=retry_after
            )
        if status >= 500:
            self.errors += 1
            raise OutcomeUnknownError(
                f"{self.host} answered {status} for {request.method} {request.path}",
                hint="the venue is having trouble; try again later",
            )
        payload = _loads(body, self.host, request.path)
        self._observe(headers, payload)
        if status >= 400:
            self.errors += 1
            raise _rejected(payload, status, self.host, request.path, self.read_error)
        return payload

    def _observe(self, headers: Any, payload: Any) -> None:
        if self.pacer is not None and self.read_usage is not None:
            self.pacer.observe(self.read_usage(headers, payload))

    def _retry_after(self, request: RestRequest, status: int, header: str | None) -> float:
        """``Retry-After``; without one, a 429 waits for the window the pacer knows is used up."""
        if header is None and status == 429 and self.pacer is not None:
            wait = getattr(self.pacer, "retry_after", lambda r: None)(request)
            if wait is not None:
                return max(0.05, float(wait))
        return _retry_after(header)

    def _track_weight(self, headers: Any) -> None:
        if not self.weight_header:
            return
        weight = headers.get(self.weight_header)
        if weight is not None and weight.isdigit():
            self.used_weight = int(weight)


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, float(value)) if value is not None else 60.0
    except ValueError:
        return 60.0


def _loads(body: bytes, host: str, path: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise NetworkUnavailableError(
            f"{host} answered {path} with something that is not JSON",
            hint="is the URL pointing at the right service?",
        ) from exc


def _rejected(
    payload: Any, status: int, host: str, path: str, read_error: RestErrorReader | None
) -> ExchangeRejectedError:
    if read_error is not None and (found := read_error(payload)) is not None:
        message, code = found
        return ExchangeRejectedError(f"{host} rejected {path}: {message}", code=code)
    # Without a venue's reader: the two common JSON error shapes, else the HTTP status.
    if isinstance(payload, dict):
        if "code" in payload and "msg" in payload:  # {"code": -1121, "msg": "..."}
            return ExchangeRejectedError(
                f"{host} rejected {path}: {payload['msg']} (code {payload['code']})",
                code=payload["code"],
            )
        error = payload.get("error")
        if isinstance(error, dict):  # {"error": {"name": "...", "message": "..."}}
            return ExchangeRejectedError(
                f"{host} rejected {path}: {error.get('message', '')} ({error.get('name', '')})",
                code=error.get("name"),
            )
    return ExchangeRejectedError(f"{host} answered {status} for {path}", code=status)


def _reason(exc: BaseException) -> str:
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror.lower()
    return str(exc) or type(exc).__name__
