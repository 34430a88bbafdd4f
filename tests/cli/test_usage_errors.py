"""Command-line mistakes: one line naming the fix, exit 2, never a traceback (issue 19)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer._click.exceptions import UsageError

from letrade_cli.cli.app import app
from tests.cli.test_failure_paths import letrade
from tests.cli.test_help import ALL


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("dryrun", "--hours", "nan"), "Invalid value for '--hours': nan is not a finite number"),
        (("dryrun", "--minutes", "1e400"), "'--minutes': inf is not a finite number"),
        (("dryrun", "--hours", "abc"), "Invalid value for '--hours'"),
        (("sim", "--rate", "inf"), "Invalid value for '--rate': inf is not a finite number"),
        (("stream", "BTCUSDT", "--duration", "-inf"), "-inf is not a finite number"),
        (("stream", "--bogus"), "No such option: --bogus — see 'letrade stream -h'"),
        (("sim", "--port", "99999"), "less than or equal to 65535"),
    ],
)
def test_a_bad_value_is_one_line_naming_it(args: tuple[str, ...], says: str) -> None:
    done = letrade(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "Usage:" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert says in lines[0]


def test_a_missing_argument_lists_the_values_it_can_take() -> None:
    # Reproduction (issue 19): `letrade profiles init` answered a bare "Missing argument".
    done = letrade("profiles", "init")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: Missing argument 'NAME' — one of: binance, binance-testnet, lambda, sim, upbit"
    )
    done = letrade("lambda-package")
    assert done.stderr.strip() == (
        "error: Missing argument 'FUNCTION' — one of: data-collector, scanner, orchestrator"
    )


def _leaf(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def _options(path: tuple[str, ...]) -> list[str]:
    command = _leaf(path)
    names = []
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "is_flag", False):
            names += [n for n in param.opts if n.startswith("--") and n != "--help"]
    return names


COMMANDS = [path for path in ALL if _options(path)]
VALUES = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-1", "0", "-0", "", " ", "abc", "1e-400"]),
    st.sampled_from(["99999999999999999999", "0x10", "1_000", "\x00", "é", "--json", "-"]),
    st.text(max_size=8),
    st.floats().map(repr),
    st.integers().map(str),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_option_values_parse_or_are_a_usage_error(data: st.DataObject) -> None:
    """Any value for any option either parses to finite numbers or is a one-line usage error."""
    path = data.draw(st.sampled_from(COMMANDS), label="command")
    options = data.draw(st.lists(st.sampled_from(_options(path)), min_size=1, max_size=3))
    argv: list[str] = []
    for option in options:
        argv += [option, data.draw(VALUES, label=option)]
    command = _leaf(path)
    try:
        ctx = command.make_context(" ".join(("letrade", *path)), argv, resilient_parsing=False)
    except UsageError as exc:
        assert exc.format_message(), "a usage error names the problem"
        return
    for name, value in ctx.params.items():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, float):
                assert math.isfinite(item), f"{name} accepted {item}"
