"""API keys from environment variables, never from a file, never printed.

The profile's ``trading.keys`` names the variables (``api_key_env``/``secret_env``); otherwise the
venue's defaults apply (each ``VenueSpec``'s ``api_key_env``/``secret_env``, declared in its
``venues/<venue>/`` package). The embedded sim needs none: unset, it uses its default account.
A missing variable is a ``ConfigError`` naming the variable, not its value. :func:`mask` is the
one way a key is ever shown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from letrade_cli.config.trading import KeySettings
from letrade_cli.core.errors import ConfigError
from letrade_cli.venues.base import VenueSpec

SIM_DEFAULT_KEY = "letrade-sim-key"  # the sim's documented, not-secret default account
SIM_DEFAULT_SECRET = "letrade-sim-secret"


def mask(value: str) -> str:
    """A key as it may be shown: its last 4 characters at most (``****wxyz``), never the rest."""
    if len(value) < 12:
        return "****"
    return "****" + value[-4:]


@dataclass(frozen=True, slots=True)
class ApiKeys:
    """A venue's API key and secret, and where they came from; ``repr`` never shows them."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    source: str = ""

    def __repr__(self) -> str:
        return f"ApiKeys(api_key={mask(self.api_key)}, source={self.source!r})"

    def __str__(self) -> str:
        return self.__repr__()


def _sim_defaults() -> tuple[str, str]:
    try:
        from letrade_cli.sim import accounts  # the sim's own constants when it is installed
    except ImportError:
        return SIM_DEFAULT_KEY, SIM_DEFAULT_SECRET
    key = getattr(accounts, "DEFAULT_API_KEY", SIM_DEFAULT_KEY)
    secret = getattr(accounts, "DEFAULT_API_SECRET", SIM_DEFAULT_SECRET)
    return str(key), str(secret)


def key_variables(spec: VenueSpec, settings: KeySettings | None = None) -> tuple[str, str]:
    """The names of the key and secret variables: the profile's, else the venue's defaults."""
    settings = settings or KeySettings()
    return settings.api_key_env or spec.api_key_env, settings.secret_env or spec.secret_env


def load_keys(
    spec: VenueSpec,
    settings: KeySettings | None = None,
    env: Mapping[str, str] | None = None,
) -> ApiKeys:
    """Read the venue's keys from the environment.

    Raises:
        ConfigError: a variable is unset or empty (the message names the variable only).
    """
    env = os.environ if env is None else env
    key_var, secret_var = key_variables(spec, settings)
    if spec.embedded and not (key_var and env.get(key_var)):
        key, secret = _sim_defaults()
        return ApiKeys(key, secret, source="the sim's default account")
    if not key_var or not secret_var:
        raise ConfigError(
            f"no key variables are known for venue '{spec.name}'",
            hint="name them in the profile: trading.keys.api_key_env / secret_env",
        )
    missing = [name for name in (key_var, secret_var) if not env.get(name)]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set",
            hint=f"export the {spec.name} API key and secret as {key_var} and {secret_var}",
        )
    return ApiKeys(env[key_var], env[secret_var], source=f"${key_var}, ${secret_var}")
