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


def _ed25519_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


ED = KeySettings(api_key_env="ED_KEY", ed25519_key_env="ED_PRIVATE")


def test_an_ed25519_key_comes_as_pem_text_a_file_or_base64_and_needs_no_secret(
    tmp_path: object,
) -> None:
    from pathlib import Path

    pem = _ed25519_pem()
    key_file = Path(str(tmp_path)) / "ed25519.pem"
    key_file.write_bytes(pem)
    spec = venue_spec("binance")
    for value in (pem.decode(), str(key_file)):
        keys = load_keys(spec, ED, env={"ED_KEY": KEY, "ED_PRIVATE": value})
        assert keys.ed25519_pem is not None and b"PRIVATE KEY" in keys.ed25519_pem
        assert keys.secret == "" and keys.ed25519_variable == "ED_PRIVATE"
        assert pem.decode() not in repr(keys) and "BEGIN" not in str(keys)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"ED_KEY": KEY}, "ED_PRIVATE is not set"),
        ({"ED_KEY": KEY, "ED_PRIVATE": "/nowhere/key.pem"}, "ED_PRIVATE names a key file"),
    ],
)
def test_a_missing_ed25519_key_names_its_variable(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        load_keys(venue_spec("binance"), ED, env=env)
    assert caught.value.exit_code == 2


def test_a_wrong_type_of_key_is_a_usage_error_naming_the_variable_not_the_key() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey

    from letrade_cli.trading.live import LiveVenue

    ed448 = Ed448PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    bad = [ed448.decode(), "bm90IGEga2V5"]  # an Ed448 key; base64 of "not a key"
    for value in bad:
        keys = load_keys(venue_spec("binance"), ED, env={"ED_KEY": KEY, "ED_PRIVATE": value})
        with pytest.raises(ConfigError) as caught:
            LiveVenue(venue_spec("binance"), keys)
        message = str(caught.value)
        assert "ED_PRIVATE" in message and caught.value.exit_code == 2
        assert value not in message and KEY not in message
    keys = load_keys(
        venue_spec("upbit"), ED, env={"ED_KEY": KEY, "ED_PRIVATE": _ed25519_pem().decode()}
    )
    with pytest.raises(ConfigError, match="upbit does not take Ed25519 keys"):
        LiveVenue(venue_spec("upbit"), keys)
