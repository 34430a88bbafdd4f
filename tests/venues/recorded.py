"""Readers for the recorded-traffic line format in tests/data (see tests/data/README.md)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True, slots=True)
class Recorded:
    """One line of a recording."""

    kind: str  # "open", "sent", "frame", "rest"
    url: str
    t: float
    payload: bytes | str


def parse_line(line: str) -> Recorded:
    """``URL <-> T`` | ``URL <- T: P`` | ``URL -> T: P`` | ``T: P`` (P may be a bytes literal)."""
    if " <-> " in line:
        url, t = line.split(" <-> ")
        return Recorded("open", url, float(t), "")
    head, payload_text = line.split(": ", 1)
    payload: bytes | str = payload_text
    if payload_text.startswith("b'") or payload_text.startswith('b"'):
        payload = ast.literal_eval(payload_text)
    for arrow, kind in ((" <- ", "sent"), (" -> ", "rest")):
        if arrow in head:
            url, t = head.split(arrow)
            return Recorded(kind, url, float(t), payload)
    return Recorded("frame", "", float(head), payload)


def read_recording(name: str) -> list[Recorded]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [parse_line(line) for line in lines if line.strip()]


def frames(name: str) -> list[bytes | str]:
    return [r.payload for r in read_recording(name) if r.kind == "frame"]


def rest_answer(name: str) -> Any:
    (answer,) = [r for r in read_recording(name) if r.kind == "rest"]
    return orjson.loads(answer.payload)
