"""The loopback "blaster": a WebSocket server that writes pre-built frames as fast as TCP allows.

It runs in its own process (``python -m letrade_cli.bench.ingest.server``) so the client under
test owns one core and the server the other. It builds the frame stream once, prints one JSON line
(``{"port": ..., "stream_bytes": ...}``) when it is listening, then serves connections one at a
time: it answers the HTTP upgrade by hand (101 + ``Sec-WebSocket-Accept``), writes the whole
stream in large chunks with blocking ``sendall`` (no per-message work at all), sends a close
frame, waits for the client's close frame and hangs up. It never reads what the client sends
while it writes: the server cannot be the bottleneck, only the client and the kernel's loopback.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import select
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import IO, Any

from letrade_cli.bench.common import child_env
from letrade_cli.bench.ingest.frames import build_stream, close_frame

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEFAULT_CHUNK_BYTES = 256 * 1024
MAX_REQUEST_BYTES = 64 * 1024
CLIENT_CLOSE_TIMEOUT_S = 10.0


def accept_key(key: bytes) -> bytes:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key``."""
    return base64.b64encode(hashlib.sha1(key.strip() + WS_GUID).digest())


def _read_request(conn: socket.socket) -> bytes:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("client hung up during the handshake")
        buf += chunk
        if len(buf) > MAX_REQUEST_BYTES:
            raise ConnectionError("upgrade request too large")
    return buf


def handshake_response(request: bytes) -> bytes:
    """The 101 answer to an HTTP upgrade request (no extensions, no subprotocol)."""
    key = None
    for line in request.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
    if key is None:
        raise ConnectionError("no Sec-WebSocket-Key in the upgrade request")
    return (
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n"
    )


def _await_client_close(conn: socket.socket, timeout: float) -> None:
    """Read (and drop) client frames until its close frame (opcode 8) or EOF, or ``timeout``."""
    deadline = time.monotonic() + timeout
    buf = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        conn.settimeout(remaining)
        try:
            chunk = conn.recv(65536)
        except (TimeoutError, OSError):
            return
        if not chunk:
            return
        buf += chunk
        # Client frames are masked: 2-byte header, extended length, 4-byte key, payload.
        while len(buf) >= 2:
            opcode, size = buf[0] & 0x0F, buf[1] & 0x7F
            offset = 2
            if size == 126:
                if len(buf) < 4:
                    break
                size, offset = int.from_bytes(buf[2:4], "big"), 4
            elif size == 127:
                if len(buf) < 10:
                    break
                size, offset = int.from_bytes(buf[2:10], "big"), 10
            end = offset + (4 if buf[1] & 0x80 else 0) + size
            if len(buf) < end:
                break
            if opcode == 0x8:
                return
            buf = buf[end:]


def serve_forever(
    sock: socket.socket, stream: bytes, chunk_bytes: int, max_connections: int | None = None
) -> None:
    """Serve the stream to each connection in turn (``max_connections`` then return)."""
    view = memoryview(stream)
    closing = close_frame()
    served = 0
    while max_connections is None or served < max_connections:
        conn, _ = sock.accept()
        served += 1
        with conn:
            try:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn.sendall(handshake_response(_read_request(conn)))
                for offset in range(0, len(view), chunk_bytes):
                    conn.sendall(view[offset : offset + chunk_bytes])
                conn.sendall(closing)
                _await_client_close(conn, CLIENT_CLOSE_TIMEOUT_S)
            except OSError:
                continue  # the client went away early; its worker reports that


def main(argv: list[str] | None = None) -> int:
    """``python -m letrade_cli.bench.ingest.server --messages N --symbols S [--cpu C]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--trade-ratio", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--chunk-bytes", type=int, default=DEFAULT_CHUNK_BYTES)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    parser.add_argument("--max-connections", type=int, default=None)
    args = parser.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    stream = build_stream(args.messages, args.symbols, trade_ratio=args.trade_ratio, seed=args.seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    ready = {
        "port": sock.getsockname()[1],
        "messages": stream.messages,
        "symbols": stream.symbols,
        "book_ticker": stream.book_ticker,
        "trades": stream.trades,
        "stream_bytes": len(stream.data),
        "close_frame_bytes": len(close_frame()),
        "avg_frame_bytes": round(stream.avg_frame_bytes, 1),
        "build_s": round(stream.build_s, 3),
        "chunk_bytes": args.chunk_bytes,
        "cpu": args.cpu,
        "pid": os.getpid(),
    }
    print(json.dumps(ready), flush=True)
    with contextlib.suppress(KeyboardInterrupt), sock:
        serve_forever(sock, stream.data, args.chunk_bytes, args.max_connections)
    return 0


@dataclass(slots=True)
class BlasterInfo:
    """What the running server told us when it was ready."""

    port: int
    stream_bytes: int
    close_frame_bytes: int
    raw: dict[str, Any]

    @property
    def url(self) -> str:
        """The WebSocket URL clients connect to (the path is ignored by the server)."""
        return f"ws://127.0.0.1:{self.port}/stream"


class BlasterProcess:
    """Start the server in a fresh interpreter, wait until it listens, stop it on exit."""

    def __init__(
        self,
        messages: int,
        symbols: int,
        *,
        trade_ratio: float = 0.3,
        seed: int = 20240601,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        cpu: int | None = None,
        ready_timeout_s: float = 300.0,
    ) -> None:
        self._argv = [
            sys.executable,
            "-m",
            "letrade_cli.bench.ingest.server",
            f"--messages={messages}",
            f"--symbols={symbols}",
            f"--trade-ratio={trade_ratio}",
            f"--seed={seed}",
            f"--chunk-bytes={chunk_bytes}",
        ]
        if cpu is not None:
            self._argv.append(f"--cpu={cpu}")
        self._ready_timeout_s = ready_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlasterInfo:
        self._proc = subprocess.Popen(
            self._argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env()
        )
        assert self._proc.stdout is not None
        line = _readline(self._proc.stdout, self._ready_timeout_s)
        if not line:
            self.stop()
            raise RuntimeError("the benchmark server exited before it was ready")
        raw = json.loads(line)
        return BlasterInfo(
            port=int(raw["port"]),
            stream_bytes=int(raw["stream_bytes"]),
            close_frame_bytes=int(raw["close_frame_bytes"]),
            raw=raw,
        )

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate the server process we started (by its handle) and reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _readline(stream: IO[bytes], timeout: float) -> bytes:
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        raise TimeoutError(f"the benchmark server was not ready after {timeout:g}s")
    return stream.readline()


if __name__ == "__main__":
    sys.exit(main())
