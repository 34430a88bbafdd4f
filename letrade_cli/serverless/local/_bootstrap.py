"""The in-process half of ``lambda-invoke --local``: run as ``python -I -S _bootstrap.py SPEC``.

Stdlib only; imports nothing of ours. Reads a JSON spec (sys.path entries, handler, event,
context fields, warm count), imports the handler module (= init, timed), calls the handler
1 + warm times with a Lambda-like context, prints START/END/REPORT lines to stderr like Lambda,
and writes the results as JSON to ``spec["result_path"]``.
"""

from __future__ import annotations

import importlib
import json
import math
import resource
import sys
import time
import traceback
import uuid
from typing import Any


class LambdaContext:
    """The attributes and method Lambda's Python runtime gives a handler."""

    def __init__(self, spec: dict[str, Any], deadline_ns: int) -> None:
        self.function_name: str = spec["function_name"]
        self.function_version: str = "$LATEST"
        self.invoked_function_arn: str = spec["invoked_function_arn"]
        self.memory_limit_in_mb: int = int(spec["memory_mb"])
        self.aws_request_id: str = str(uuid.uuid4())
        self.log_group_name: str = f"/aws/lambda/{self.function_name}"
        self.log_stream_name: str = spec["log_stream_name"]
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline_ns = deadline_ns

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, (self._deadline_ns - time.monotonic_ns()) // 1_000_000)


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[1:],
    }


def _max_memory_mb() -> int:
    return math.ceil(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main(spec_path: str) -> int:
    """Run the spec; the exit code is 0 even when the handler raises (that is a result)."""
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    sys.path[:0] = spec["sys_path"]
    module_name, _, func_name = spec["handler"].rpartition(".")
    out: dict[str, Any] = {"init_ms": None, "init_error": None, "invocations": []}
    started = time.perf_counter_ns()
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, func_name)
    except BaseException as exc:
        out["init_ms"] = (time.perf_counter_ns() - started) / 1e6
        out["init_error"] = _error(exc)
        out["max_memory_mb"] = _max_memory_mb()
        _write(spec["result_path"], out)
        return 0
    out["init_ms"] = (time.perf_counter_ns() - started) / 1e6
    for index in range(1 + int(spec["warm"])):
        deadline = time.monotonic_ns() + int(spec["timeout_s"]) * 1_000_000_000
        context = LambdaContext(spec, deadline)
        print(f"START RequestId: {context.aws_request_id} Version: $LATEST", file=sys.stderr)
        record: dict[str, Any] = {"request_id": context.aws_request_id, "cold": index == 0}
        t0 = time.perf_counter_ns()
        try:
            result = handler(spec["event"], context)
            json.dumps(result)  # Lambda serialises the result; fail the same way it would
            record["result"] = result
        except BaseException as exc:
            record["error"] = _error(exc)
        record["duration_ms"] = (time.perf_counter_ns() - t0) / 1e6
        record["max_memory_mb"] = _max_memory_mb()
        out["invocations"].append(record)
        line = (
            f"REPORT RequestId: {context.aws_request_id}\tDuration: {record['duration_ms']:.2f} ms"
            f"\tBilled Duration: {math.ceil(record['duration_ms'])} ms"
            f"\tMemory Size: {context.memory_limit_in_mb} MB"
            f"\tMax Memory Used: {record['max_memory_mb']} MB"
        )
        if index == 0:
            line += f"\tInit Duration: {out['init_ms']:.2f} ms"
        print(f"END RequestId: {context.aws_request_id}", file=sys.stderr)
        print(line + "\t", file=sys.stderr, flush=True)
    out["max_memory_mb"] = _max_memory_mb()
    _write(spec["result_path"], out)
    return 0


def _write(path: str, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, default=str)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
