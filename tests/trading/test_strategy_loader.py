"""Strategies by file path and module:Class; typed parameters (Param); --param merging."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.trading.strategies import load_strategy, merge_params, parse_params
from letrade_cli.trading.strategies.api import Param, Strategy
from letrade_cli.trading.strategies.breakout import Breakout
from letrade_cli.trading.strategies.mean_reversion import MeanReversion
from letrade_cli.trading.strategies.sma_cross import SmaCross

TYPED = (
    "from letrade_cli.strategy import Param, Side, Signal, Strategy\n"
    "\n"
    "class Every(Strategy):\n"
    "    name = 'every'\n"
    "    every = Param(10, min=1, max=100, help='ticks between buys')\n"
    "\n"
    "    def on_tick(self, tick, ctx):\n"
    "        return []\n"
)


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _one_line_usage(target: str) -> str:
    with pytest.raises(UsageError) as info:
        load_strategy(target)
    text = str(info.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_builtins_are_typed_with_the_old_defaults_and_minimums() -> None:
    assert {k: p.default for k, p in SmaCross.params().items()} == {"fast": 10, "slow": 30}
    assert {k: p.min for k, p in SmaCross.params().items()} == {"fast": 1, "slow": 2}
    assert {k: p.default for k, p in MeanReversion.params().items()} == {
        "window": 20,
        "entry_z": 2.0,
        "exit_z": 0.0,
    }
    assert MeanReversion.params()["exit_z"].min == -10.0
    assert {k: p.default for k, p in Breakout.params().items()} == {
        "lookback": 20,
        "exit_lookback": 10,
    }
    for cls in (SmaCross, MeanReversion, Breakout):
        assert issubclass(cls, Strategy)
        assert all(p.help and p.max is not None for p in cls.params().values())
    with pytest.raises(ConfigError, match="fast must be smaller"):
        SmaCross({"fast": 30, "slow": 30})


def test_a_file_path_loads_under_a_unique_module(tmp_path: Path) -> None:
    one = _write(tmp_path / "mine.py", TYPED)
    (tmp_path / "other").mkdir()
    two = _write(tmp_path / "other" / "mine.py", TYPED.replace("'every'", "'every-2'"))
    first = load_strategy(f"{one}:Every", {"every": "5"})
    second = load_strategy(f"{two}:Every")
    assert first.name == "every" and first.every == 5  # type: ignore[attr-defined]
    assert second.name == "every-2"
    assert type(first).__module__ != type(second).__module__
    assert "mine" not in sys.modules


def test_module_class_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "cwd_strategy_xyz.py", TYPED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    try:
        strategy = load_strategy("cwd_strategy_xyz:Every", {"every": 3})
    finally:
        sys.modules.pop("cwd_strategy_xyz", None)
    assert strategy.every == 3  # type: ignore[attr-defined]
    assert str(tmp_path) not in sys.path


def test_a_missing_module_hints_at_the_fix() -> None:
    text = _one_line_usage("no_such_module_xyz:Thing")
    assert "cannot import" in text and "run from its directory" not in text
    assert "file.py:Class" in text


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "my_rsi.py", "import os\n\ndef f(:\n    pass\n")
    text = _one_line_usage(f"{path}:Rsi")
    assert text.startswith(f"{path}:3: invalid syntax")


def test_import_error_names_the_users_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "needs.py", "import os\n\nimport no_such_dependency_xyz\n")
    text = _one_line_usage(f"{path}:Thing")
    assert text.startswith(f"{path}:3: ModuleNotFoundError:") and "no_such_dependency_xyz" in text
    raising = _write(tmp_path / "raises.py", "x = 1\ny = {}['missing']\n")
    assert _one_line_usage(f"{raising}:Thing").startswith(f"{raising}:2: KeyError")


def test_missing_class_lists_the_files_strategies(tmp_path: Path) -> None:
    path = _write(tmp_path / "two.py", TYPED + "\nclass Other(Every):\n    pass\n")
    text = _one_line_usage(f"{path}:Nope")
    assert f"{path} has no class 'Nope'" in text and "Every, Other" in text


def test_a_class_that_is_not_a_strategy(tmp_path: Path) -> None:
    path = _write(tmp_path / "plain.py", "x = 1\n\nclass Plain:\n    pass\n")
    text = _one_line_usage(f"{path}:Plain")
    assert text.startswith(f"{path}:3: Plain is not a strategy")


def test_an_exception_in_init_names_file_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "broken.py",
        TYPED + "\n    def __init__(self, params):\n        super().__init__(params)\n"
        "        self.x = 1 / 0\n",
    )
    text = _one_line_usage(f"{path}:Every")
    assert text.startswith(f"{path}:12: ZeroDivisionError")
    with pytest.raises(ConfigError, match=r"params\.every must be int from 1 to 100"):
        load_strategy(f"{_write(tmp_path / 'ok.py', TYPED)}:Every", {"every": 0})


def test_old_style_classes_still_load(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "old.py",
        "class Old:\n    def __init__(self, params):\n        self.params = params\n"
        "    def on_tick(self, tick, ctx):\n        return []\n",
    )
    strategy = load_strategy(f"{path}:Old", {"a": 1})
    assert strategy.params == {"a": 1}  # type: ignore[attr-defined]
    assert strategy.name == f"{path}:Old"
    merged = merge_params(f"{path}:Old", {"a": 1, "b": 2}, ["b=3", "c=true", "d=1.5", "e=hi"])
    assert merged == {"a": 1, "b": 3, "c": True, "d": 1.5, "e": "hi"}


def test_param_overrides_are_coerced_and_checked() -> None:
    assert merge_params("sma-cross", {"fast": 5, "slow": 20}, ["slow=40"]) == {
        "fast": 5,
        "slow": 40,
    }
    assert merge_params("sma-cross", {}, None) == {}
    with pytest.raises(ConfigError, match=r"params\.fast must be int from 1 to 10000"):
        merge_params("sma-cross", {}, ["fast=0"])
    with pytest.raises(ConfigError, match="has no parameter 'fats'"):
        merge_params("sma-cross", {}, ["fats=3"])
    with pytest.raises(UsageError, match="is not name=value"):
        parse_params(["fast"])
    assert parse_params(["a=b=c"]) == {"a": "b=c"}


def test_param_coercion() -> None:
    class P(Strategy):
        n = Param(3, min=1, max=9)
        x = Param(0.5, min=0.0, max=1.0)
        flag = Param(False)
        size = Param(Decimal("0.01"), min=Decimal("0"))
        mode = Param("fast", choices=("fast", "slow"))

    params = P.params()
    assert params["n"].coerce("4") == 4 and params["n"].coerce(5.0) == 5
    for bad in ("4.5", 4.5, True, "x", "10", 0):
        with pytest.raises(ConfigError, match=r"params\.n"):
            params["n"].coerce(bad)
    assert params["x"].coerce("0.25") == 0.25
    for bad in ("nan", float("nan"), "inf", "2", True):
        with pytest.raises(ConfigError, match=r"params\.x"):
            params["x"].coerce(bad)
    assert params["flag"].coerce("yes") is True and params["flag"].coerce("off") is False
    with pytest.raises(ConfigError):
        params["flag"].coerce("maybe")
    assert params["size"].coerce("0.05") == Decimal("0.05")
    for bad in ("NaN", "-1", "abc"):
        with pytest.raises(ConfigError, match=r"params\.size"):
            params["size"].coerce(bad)
    assert params["mode"].coerce("slow") == "slow"
    with pytest.raises(ConfigError, match="one of fast, slow"):
        params["mode"].coerce("medium")
    built = P({"n": "7", "mode": "slow"})
    assert built.param_values() == {
        "n": 7,
        "x": 0.5,
        "flag": False,
        "size": Decimal("0.01"),
        "mode": "slow",
    }
    with pytest.raises(ConfigError, match="no parameter 'z'"):
        P({"z": 1})
