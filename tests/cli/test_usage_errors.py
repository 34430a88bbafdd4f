"""Command-line mistakes: one line naming the fix, exit 2, never a traceback (issue 19)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer._click.exceptions import UsageError
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from letrade_cli.core.errors import LetradeError
from letrade_cli.ui.console import error_line
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
        # found by the random runs below: a newline in a quoted value made a second line
        (("dryrun", "list", "--db", "x\ny"), "no ledger at x\\ny"),
        (("profiles", "show", "a\x1b[2Jb"), "no profile named 'a\\x1b[2Jb'"),
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


def _options(path: tuple[str, ...], *, flags: bool = False) -> list[str]:
    """The command's long options that take a value (with ``flags``: its on/off flags)."""
    names = []
    for param in _leaf(path).params:
        if param.param_type_name == "option" and bool(getattr(param, "is_flag", False)) is flags:
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


# Commands that finish offline and at once, with the arguments they need: run in full (not only
# parsed) on random option values, in a scratch directory with its own data, profiles and cache.
RUNNABLE: dict[tuple[str, ...], tuple[str, ...]] = {
    ("data", "ls"): (),
    ("data", "query"): ("select 1",),
    ("dryrun", "list"): (),
    ("dryrun", "report"): ("r00000000",),
    ("dryrun", "compare"): ("r00000000", "r00000001"),
    ("profiles", "list"): (),
    ("profiles", "show"): ("sim",),
    ("profiles", "init"): ("sim",),
    ("strategy", "list"): (),
    ("strategy", "new"): ("my_rsi",),
    ("venues",): (),
    ("lambda-package",): ("scanner",),
}


@pytest.fixture
def scratch(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A directory every file a command writes goes to (hypothesis reuses it per example)."""
    root = tmp_path_factory.mktemp("random-runs")
    monkeypatch.chdir(root)
    for name in ("LETRADE_DATA_DIR", "LETRADE_PROFILES_DIR", "LETRADE_CACHE_DIR"):
        (root / name).mkdir()
        monkeypatch.setenv(name, str(root / name))
    monkeypatch.setenv("XDG_DATA_HOME", str(root))
    monkeypatch.setenv("NO_COLOR", "1")
    return root


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_option_values_never_end_in_a_traceback(scratch: Any, data: st.DataObject) -> None:
    """Run in full, any values for a command's options end in its result or one error."""
    path = data.draw(st.sampled_from(sorted(RUNNABLE)), label="command")
    argv: list[str] = [*path, *RUNNABLE[path]]
    if _options(path):
        for option in data.draw(st.lists(st.sampled_from(_options(path)), max_size=3)):
            argv += [option, data.draw(VALUES, label=option)]
    if flags := _options(path, flags=True):
        argv += data.draw(st.lists(st.sampled_from(flags), max_size=2, unique=True))
    done = CliRunner().invoke(app, argv, catch_exceptions=True)
    # main() turns SystemExit and LetradeError into an exit code and one line; anything else
    # would reach the user as a traceback.
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        assert isinstance(done.exception, LetradeError), (argv, repr(done.exception))
        exc = done.exception
        assert exc.message and "\n" not in error_line(exc.message, exc.hint), argv
