"""Profile discovery: the user's directories win over the built-ins, from any working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from letrade_cli.config.profiles import (
    BUILTIN_DIR,
    builtin_names,
    find_profile,
    init_profile,
    list_profiles,
)
from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.serverless.profile import BUILTIN_FUNCTIONS_DIR, load_lambda_profile

BUILTINS = ["binance", "binance-testnet", "lambda", "sim", "upbit"]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and an empty home: only the built-in profiles are visible."""
    cwd = tmp_path / "cwd"
    home = tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("LETRADE_PROFILES_DIR", raising=False)
    return tmp_path


def write(directory: Path, name: str, description: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(f"description: {description}\nvenue: sim\nsymbols: [BTCUSDT]\n")
    return path


def test_builtins_are_found_from_any_directory(elsewhere: Path) -> None:
    assert builtin_names() == BUILTINS
    for name in BUILTINS:
        assert find_profile(name) == BUILTIN_DIR / f"{name}.yaml"
    assert [(e.name, e.origin) for e in list_profiles()] == [(n, "built-in") for n in BUILTINS]


def test_user_profiles_win_in_documented_order(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(elsewhere / "home" / ".config" / "letrade" / "profiles", "sim", "mine")
    assert find_profile("sim") == config
    local = write(elsewhere / "cwd" / "profiles", "sim", "this project's")
    assert find_profile("sim") == local
    env_dir = write(elsewhere / "team", "sim", "the team's")
    monkeypatch.setenv("LETRADE_PROFILES_DIR", str(elsewhere / "team"))
    assert find_profile("sim") == env_dir

    entry = {e.name: e for e in list_profiles()}["sim"]
    assert entry.path == env_dir
    assert entry.origin == "$LETRADE_PROFILES_DIR"
    assert entry.shadows == ("./profiles", "user config", "built-in")


def test_xdg_config_home_is_the_user_directory(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(elsewhere / "xdg"))
    mine = write(elsewhere / "xdg" / "letrade" / "profiles", "mybot", "my bot")
    assert find_profile("mybot") == mine


def test_unknown_name_lists_what_exists(elsewhere: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_profile("binanse")
    assert info.value.message == "no profile named 'binanse'"
    assert "binance, binance-testnet, lambda, sim, upbit" in (info.value.hint or "")


def test_init_copies_a_builtin_and_refuses_to_overwrite(elsewhere: Path) -> None:
    target = init_profile("binance")
    assert target == elsewhere / "home" / ".config" / "letrade" / "profiles" / "binance.yaml"
    assert target.read_bytes() == (BUILTIN_DIR / "binance.yaml").read_bytes()
    assert find_profile("binance") == target  # the copy now wins
    with pytest.raises(UsageError, match="already exists"):
        init_profile("binance")
    target.write_text("edited")
    assert init_profile("binance", force=True).read_bytes() != b"edited"


def test_init_to_a_directory_and_unknown_builtin(elsewhere: Path) -> None:
    target = init_profile("lambda", elsewhere / "proj" / "profiles")
    assert target.is_file()
    with pytest.raises(ConfigError, match="no built-in profile named 'nope'"):
        init_profile("nope")


def test_lambda_sources_resolve_next_to_the_profile(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "mine.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "scanner.py").write_text("def handler(event, context):\n    return 2\n")
    profile_path = tmp_path / "lambda.yaml"
    profile_path.write_text(
        "functions:\n"
        "  mine: {source: src/mine.py, handler: mine.handler}\n"
        "  collector: {source: data-collector, handler: data_collector.handler}\n"
        "  scanner: {source: scanner.py, handler: scanner.handler}\n"
        "  missing: {source: lib/nothing.py, handler: nothing.handler}\n"
    )
    profile = load_lambda_profile(str(profile_path))
    sources = {name: Path(spec.source) for name, spec in profile.functions.items()}
    assert sources["mine"] == tmp_path / "src" / "mine.py"
    assert sources["collector"] == BUILTIN_FUNCTIONS_DIR / "data_collector.py"
    assert sources["scanner"] == tmp_path / "scanner.py"  # a file next to the profile wins
    assert sources["missing"] == tmp_path / "lib" / "nothing.py"


def test_a_copied_lambda_profile_still_finds_the_builtin_functions(elsewhere: Path) -> None:
    copy = init_profile("lambda", elsewhere / "somewhere")
    profile = load_lambda_profile(str(copy))
    for spec in profile.functions.values():
        assert Path(spec.source).is_file()
        assert Path(spec.source).parent == BUILTIN_FUNCTIONS_DIR
