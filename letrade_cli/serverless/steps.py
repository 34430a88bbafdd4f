"""Named steps shared by ``layer-build`` and ``lambda-deploy``.

A build or deploy is an ordered list of named steps. Each step reports ``start`` then ``done``,
``skip`` (nothing to do: the current state already matches) or ``fail`` to a callback the CLI
renders on stderr; a failure is re-raised as a LetradeError whose message starts with the step
name, so ``error: update-code: AWS said ...`` tells the user where it stopped. Because every step
checks current state first, re-running the command picks up from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from letrade_cli.core.errors import LetradeError

Status = Literal["start", "done", "skip", "fail"]


@dataclass(slots=True)
class StepEvent:
    """One progress event: a step started, finished, was skipped or failed."""

    name: str
    status: Status
    detail: str = ""
    elapsed_ms: float = 0.0


StepCallback = Callable[[StepEvent], None]


@dataclass(slots=True)
class StepHandle:
    """What a running step may say about itself before it ends."""

    name: str
    detail: str = ""
    skipped: bool = False

    def skip(self, why: str) -> None:
        """Mark the step as having nothing to do."""
        self.skipped = True
        self.detail = why


@dataclass
class StepRunner:
    """Runs steps in order, times them, reports progress and names failures."""

    on_event: StepCallback | None = None
    records: list[StepEvent] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[StepHandle]:
        """Run the body as step ``name``; failures become LetradeErrors naming it."""
        handle = StepHandle(name)
        self._emit(StepEvent(name, "start"))
        started = time.perf_counter_ns()
        try:
            yield handle
        except LetradeError as exc:
            self._finish(handle, "fail", started, exc.message)
            if not exc.message.startswith(f"{name}: "):
                exc.message = f"{name}: {exc.message}"
                exc.args = (exc.message,)
            raise
        except Exception as exc:
            translated = _translate(exc, name)
            self._finish(handle, "fail", started, translated.message)
            raise translated from exc
        self._finish(handle, "skip" if handle.skipped else "done", started, handle.detail)

    def timings_ms(self) -> dict[str, float]:
        """Elapsed milliseconds per finished step."""
        return {r.name: r.elapsed_ms for r in self.records if r.status != "start"}

    def _finish(self, handle: StepHandle, status: Status, started: int, detail: str) -> None:
        elapsed = (time.perf_counter_ns() - started) / 1e6
        event = StepEvent(handle.name, status, detail, round(elapsed, 3))
        self.records.append(event)
        self._emit(event)

    def _emit(self, event: StepEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)


def _translate(exc: Exception, step: str) -> LetradeError:
    from letrade_cli.serverless.aws import is_aws_error, translate_aws_error

    if is_aws_error(exc):
        return translate_aws_error(exc, step)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return LetradeError(f"{step}: {exc.strerror or exc}{where}")
    return LetradeError(f"{step}: {type(exc).__name__}: {exc}")
