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
    ed25519_pem: bytes | None = field(repr=False, default=None)  # an Ed25519 key's material
    ed25519_variable: str = ""  # the variable it came from (named in errors, never its value)

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
    ed_var = settings.ed25519_key_env if settings is not None else ""
    if ed_var:
        return _ed25519_keys(spec, key_var, ed_var, env)
    missing = [name for name in (key_var, secret_var) if not env.get(name)]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set",
            hint=f"export the {spec.name} API key and secret as {key_var} and {secret_var}",
        )
    for name in (key_var, secret_var):
        _check_printable(name, env[name])
    return ApiKeys(env[key_var], env[secret_var], source=f"${key_var}, ${secret_var}")


def _check_printable(name: str, value: str) -> None:
    """A key with a newline, a space or a control character (a bad paste) is named, not sent."""
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ConfigError(
            f"{name} contains a space, newline or control character",
            hint=f"paste the key again without them: export {name}='...'",
        )


def _ed25519_keys(spec: VenueSpec, key_var: str, ed_var: str, env: Mapping[str, str]) -> ApiKeys:
    """An Ed25519 API key: ``ed_var`` holds PEM text, a PEM file's path, or base64."""
    missing = [name for name in (key_var, ed_var) if not env.get(name)]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set",
            hint=f"export the {spec.name} Ed25519 API key as {key_var} and its private key "
            f"(PEM text, a PEM file's path, or base64) as {ed_var}",
        )
    value = env[ed_var].strip()
    material = value.encode()
    if not value.startswith("-----BEGIN") and ("/" in value or value.endswith(".pem")):
        path = os.path.expanduser(value)
        if not os.path.isfile(path) and value.endswith(".pem"):
            raise ConfigError(
                f"{ed_var} names a key file that does not exist",
                hint=f"point {ed_var} at the Ed25519 private key's PEM file",
            )
        if os.path.isfile(path):
            try:
                with open(path, "rb") as f:
                    material = f.read(64 * 1024)
            except OSError as exc:
                raise ConfigError(
                    f"{ed_var} names a key file that cannot be read ({exc.strerror or exc})",
                    hint="check the file's permissions",
                ) from None
    return ApiKeys(
        env[key_var],
        "",
        source=f"${key_var}, ${ed_var} (Ed25519)",
        ed25519_pem=material,
        ed25519_variable=ed_var,
    )
