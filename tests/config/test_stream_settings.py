from pathlib import Path

import pytest

from letrade_cli.config.stream import (
    StreamSettings,
    apply_environment,
    apply_flags,
    load_stream_settings,
)
from letrade_cli.core.errors import ConfigError


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return str(path)


def test_shipped_profiles_load_and_validate() -> None:
    for name in ("sim", "binance", "binance-testnet", "upbit"):
        settings = load_stream_settings(name).validate()
        assert settings.symbols, name


def test_unknown_key_is_named_with_the_file_and_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "venue: sim\ncache:\n  ttl: 5\n")
    with pytest.raises(ConfigError) as info:
        load_stream_settings(path)
    assert f"{path}: cache.ttl: unknown key" in info.value.message
    assert "ttl_ms" in (info.value.hint or "")


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, "breaker:\n  failure_threshold: three\n")
    with pytest.raises(
        ConfigError, match=r"breaker.failure_threshold: expected a whole number, got 'three'"
    ):
        load_stream_settings(path)


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "venue: sim\nsymbols: [BTCUSDT\n")
    with pytest.raises(ConfigError, match=r"malformed YAML at line \d+"):
        load_stream_settings(path)


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- a\n- b\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_stream_settings(path)


def test_missing_profile_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        load_stream_settings("no-such-profile")
    assert "sim" in (info.value.hint or "")


def test_validate_rejects_bad_values() -> None:
    with pytest.raises(ConfigError, match="unknown venue 'kraken'"):
        StreamSettings(venue="kraken").validate()
    with pytest.raises(ConfigError, match="unknown channel 'depth'"):
        StreamSettings(channels=["depth"]).validate()
    bad = StreamSettings()
    bad.cache.ttl_ms = 0
    with pytest.raises(ConfigError, match=r"cache\.ttl_ms: must be greater than 0"):
        bad.validate()


def test_precedence_defaults_profile_env_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "venue: upbit\nsymbols: [KRW-BTC]\n")
    settings = load_stream_settings(path)
    assert settings.venue == "upbit"
    settings = apply_environment(settings, {"LETRADE_VENUE": "binance", "LETRADE_WS_URL": "ws://x"})
    assert settings.venue == "binance"
    assert settings.endpoints.ws_url == "ws://x"
    settings = apply_flags(settings, venue="sim", symbols=None, channels=[])
    assert settings.venue == "sim"
    assert settings.symbols == ["KRW-BTC"]  # a flag not given does not erase the profile's


def test_loader_errors_name_keys_inside_mappings_and_lists() -> None:
    from letrade_cli.config.loader import from_mapping
    from letrade_cli.serverless.profile import LambdaProfile

    for data, expected in (
        (
            {"functions": {"ok": {"source": "a", "handler": "h"}, "bad": {"source": "a"}}},
            "p.yaml: functions.bad.handler: required key is missing",
        ),
        (
            {"functions": {"f": {"source": "a", "handler": "h", "memroy": 3}}},
            "p.yaml: functions.f.memroy: unknown key",
        ),
        (
            {"functions": {"f": {"source": "a", "handler": "h", "environment": {"N": 1}}}},
            "p.yaml: functions.f.environment.N: expected text, got 1",
        ),
        ({"layers": {"l": {"architectures": ["sparc"]}}}, "layers.l.architectures[0]: 'sparc'"),
    ):
        with pytest.raises(ConfigError) as info:
            from_mapping(LambdaProfile, data, source="p.yaml")
        assert expected in info.value.message
    with pytest.raises(ConfigError, match=r"p.yaml: symbols\[1\]: expected text, got 3"):
        from_mapping(StreamSettings, {"symbols": ["BTCUSDT", 3]}, source="p.yaml")


def test_channels_are_checked_against_the_venues_dialect() -> None:
    with pytest.raises(ConfigError, match="unknown channel 'aggTrade' for upbit") as info:
        StreamSettings(venue="upbit", symbols=["KRW-BTC"], channels=["aggTrade"]).validate()
    assert "orderbook" not in (info.value.hint or "") and "trade" in (info.value.hint or "")
