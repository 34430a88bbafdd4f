"""The one rule for "this environment variable holds a secret": by its name or by its value.

Used everywhere a variable is judged: the profile check (a literal secret is refused), deploy
output masking and the local invoke's output. A name is secret when it contains a secret word as
a whole ``_``-separated part (``VENUE_KEY``, ``DB_PASS``, ``API_TOKEN``; not ``MONKEY``). A value
is secret when it has a credential's shape: an ``Authorization`` scheme (``Bearer …``,
``Basic …``), a URL with a password or a token in its query or path (webhooks), a JWT, a
private-key block, or a well-known key prefix (``AKIA…``, ``ghp_…``, ``sk-…``, ``xox…``).
"""

from __future__ import annotations

import re

SECRET_WORDS = (
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "APIKEY",
    "PRIVATE",
    "CREDENTIAL",
    "CREDENTIALS",
    "AUTH",
    "AUTHORIZATION",
    "SIGNATURE",
    "SESSION",
    "COOKIE",
    "WEBHOOK",
    "DSN",
)
NOT_SECRET_NAMES = frozenset({"KEY_ID_PREFIX"})
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
_VALUE_SHAPES = (
    re.compile(r"^\s*(Bearer|Basic|Token|Digest)\s+\S{8,}", re.IGNORECASE),
    re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE),  # user:password@
    re.compile(
        r"^https?://\S*[?&](token|key|sig|signature|secret|access_token|api_key|auth)=[^&\s]{6,}",
        re.IGNORECASE,
    ),
    re.compile(r"^https://hooks\.slack\.com/services/\S+", re.IGNORECASE),
    re.compile(r"^https://(discord(app)?\.com)/api/webhooks/\d+/\S+", re.IGNORECASE),
    re.compile(r"^https://api\.telegram\.org/bot\d+:\S+", re.IGNORECASE),
    re.compile(r"^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$"),  # JWT
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$"),
    re.compile(r"^(ghp|gho|ghs|github_pat|glpat|xox[abpr])[-_][A-Za-z0-9_-]{10,}"),
    re.compile(r"^sk-[A-Za-z0-9_-]{16,}"),
)
REFERENCE = re.compile(r"^(ssm:/\S+|secretsmanager:\S+|env:[A-Za-z_][A-Za-z0-9_]*)$")


def name_words(name: str) -> list[str]:
    """``venueApiKey`` / ``VENUE_API_KEY`` -> ``["VENUE", "API", "KEY"]``."""
    return [w.upper() for w in _WORD_SPLIT.split(name) if w]


def is_secret_name(name: str) -> bool:
    """True when a variable's name says it holds a secret."""
    if name.upper() in NOT_SECRET_NAMES:
        return False
    words = name_words(name)
    joined = "".join(words)
    return any(w in SECRET_WORDS for w in words) or any(
        joined.endswith(w) for w in ("APIKEY", "SECRETKEY", "PRIVATEKEY", "ACCESSKEY")
    )


def is_secret_value(value: str) -> bool:
    """True when a value has the shape of a credential (whatever its variable is called)."""
    if not value or REFERENCE.match(value):
        return False
    return any(shape.search(value) for shape in _VALUE_SHAPES)


def is_secret(name: str, value: str | None = None) -> bool:
    """The one rule: secret by name, or by value shape when the value is known."""
    return is_secret_name(name) or (value is not None and is_secret_value(value))


def is_reference(value: str) -> bool:
    """``ssm:/path``, ``secretsmanager:id`` or ``env:NAME``."""
    return bool(REFERENCE.match(value))
