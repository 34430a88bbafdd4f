"""Keys come from the variables the profile (or the venue) names; they are never shown."""

from __future__ import annotations

import pytest

from letrade_cli.config.trading import KeySettings, load_trading_settings
from letrade_cli.core.errors import ConfigError
from letrade_cli.trading.keys import load_keys, mask
from letrade_cli.trading.order_manager import (
    CLIENT_ID_RE,
    check_client_order_id,
    new_client_order_id,
)
from letrade_cli.venues.registry import venue_spec

KEY = "AKIAkey-0123456789abcdef"
SECRET = "shh-secret-0123456789abcdef"


def test_venue_defaults_and_profile_names() -> None:
    keys = load_keys(
        venue_spec("binance"), env={"BINANCE_API_KEY": KEY, "BINANCE_API_SECRET": SECRET}
    )
    assert (keys.api_key, keys.secret) == (KEY, SECRET)
    custom = KeySettings(api_key_env="MY_KEY", secret_env="MY_SECRET")
    keys = load_keys(venue_spec("upbit"), custom, env={"MY_KEY": KEY, "MY_SECRET": SECRET})
    assert keys.api_key == KEY
    assert KEY not in repr(keys) and SECRET not in repr(keys) and SECRET not in str(keys)


def test_missing_variable_is_named_never_its_value() -> None:
    with pytest.raises(ConfigError) as caught:
        load_keys(venue_spec("upbit"), env={"UPBIT_ACCESS_KEY": KEY})
    assert caught.value.message == "UPBIT_SECRET_KEY is not set"
    assert KEY not in str(caught.value)
    with pytest.raises(ConfigError, match="BINANCE_TESTNET_API_KEY and BINANCE_TESTNET_API_SECRET"):
        load_keys(venue_spec("binance-testnet"), env={})


def test_sim_uses_its_default_account_unless_variables_are_set() -> None:
    keys = load_keys(venue_spec("sim"), env={})
    assert keys.api_key == "letrade-sim-key"
    env = {"LETRADE_SIM_API_KEY": KEY, "LETRADE_SIM_API_SECRET": SECRET}
    assert load_keys(venue_spec("sim"), env=env).api_key == KEY
    named = KeySettings(api_key_env="SIM_K", secret_env="SIM_S")
    assert load_keys(venue_spec("sim"), named, env={"SIM_K": KEY, "SIM_S": SECRET}).secret == SECRET


def test_mask_shows_at_most_four_characters() -> None:
    assert mask(SECRET) == "****" + SECRET[-4:]
    assert mask("short") == "****"


def test_profiles_name_variables_not_keys() -> None:
    for name, var in (("binance", "BINANCE_API_KEY"), ("upbit", "UPBIT_ACCESS_KEY")):
        assert load_trading_settings(name).keys.api_key_env == var
    assert venue_spec("binance").live_money and venue_spec("upbit").live_money
    assert not venue_spec("binance-testnet").live_money and not venue_spec("sim").live_money


def test_client_ids_are_valid_and_unique() -> None:
    ids = {new_client_order_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert all(CLIENT_ID_RE.match(i) and len(i) <= 36 for i in ids)
    with pytest.raises(Exception, match="not valid"):
        check_client_order_id("x" * 37)
