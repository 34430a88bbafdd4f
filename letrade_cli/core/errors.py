"""The one error tree every Letrade module raises.

Grouped by what the user does next; the CLI maps each to one red line and an exit code::

    LetradeError (1: runtime failure)
    ├── UsageError (2: fix the command line)
    │   ├── UnknownSymbolError
    │   └── ConfigError (2: fix the profile / environment)
    │       └── SecretInProfileError
    ├── ExchangeRejectedError (3: the venue said no; read its code)
    │   └── RateLimitedError
    ├── NetworkUnavailableError (4: the venue or service cannot be reached)
    │   └── OutcomeUnknownError (sent, but no answer: look the order up before resending)
    └── DecodeError (1: a frame we could not parse; counted, never fatal in a stream)

Library errors (aiohttp, websockets, botocore, yaml) are translated into these at the edge,
with ``raise ... from exc``, so callers never catch third-party types.
"""

from __future__ import annotations

import os

# Exit codes for signals (128 + signal number), here so the CLI's entry can use them without
# importing the runtime (asyncio).
EXIT_INTERRUPTED = 130  # SIGINT
EXIT_TERMINATED = 143  # SIGTERM
# `trade buy/sell --wait-fill`: the order was placed but is not (fully) filled when the wait
# ends (still open, or ended canceled/expired); not an error, a distinct answer for scripts.
EXIT_NOT_FILLED = 5


def exit_interrupted() -> None:
    """Say "error: interrupted" and end the process with 130 at once (no unwinding).

    For a Ctrl-C with nothing open to close; safe inside a signal handler (``sys.stderr``
    may be mid-write when the signal lands, so the line goes straight to descriptor 2).
    """
    os.write(2, b"error: interrupted\n")
    os._exit(EXIT_INTERRUPTED)


class LetradeError(Exception):
    """Root of every error a user can act on."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(LetradeError):
    """The command line asks for something that cannot be done as written."""

    exit_code = 2


class UnknownSymbolError(UsageError):
    """A symbol the venue does not list."""


class ConfigError(UsageError):
    """A profile, environment variable or setting is missing or malformed."""


class SecretInProfileError(ConfigError):
    """A literal secret was written into a profile instead of the name of its variable."""


class ExchangeRejectedError(LetradeError):
    """The venue answered with an error code."""

    exit_code = 3

    def __init__(
        self, message: str, *, code: int | str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class RateLimitedError(ExchangeRejectedError):
    """HTTP 429/418: the venue asks us to back off for ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float, code: int | str | None = None) -> None:
        super().__init__(message, code=code, hint=f"retry after {retry_after:g}s")
        self.retry_after = retry_after


class NetworkUnavailableError(LetradeError):
    """The venue or service cannot be reached at all."""

    exit_code = 4


class OutcomeUnknownError(NetworkUnavailableError):
    """A request may have reached the venue but no usable answer came back (timeout, 5xx)."""


class DecodeError(LetradeError):
    """A frame or payload that does not match the venue's dialect."""
