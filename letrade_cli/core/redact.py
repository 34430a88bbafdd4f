"""One redaction rule for everything Letrade prints: errors, hints, logs.

Masked: credentials in URLs (``scheme://user:pass@host`` and a bare ``user:pass@host``), secret
query parameters (signatures, keys, tokens), JWTs, and the values of environment variables whose
names say they hold a secret (``*_SECRET``, ``*_TOKEN``, ``*_PASSWORD``, ``*_API_KEY`` ...).
"""

from __future__ import annotations

import os
import re

MASK = "***"
_USERINFO = re.compile(r"(?:(?<=://)|(?<=[\s(\"'=])|^)[^\s/@:\"'()]+:[^\s/@\"'()]+@")
_USERINFO_SCHEME = re.compile(r"(?<=://)[^\s/@\"'()]+@")
_QUERY = re.compile(
    r"(?i)\b(signature|api_?key|access_?key|secret|token|password|passwd|"
    r"x-amz-signature|x-amz-credential|x-amz-security-token)=([^&\s\"']+)"
)
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}")
_SECRET_NAME = re.compile(r"(?i)(SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE)")
MIN_SECRET_LEN = 8  # shorter values ("1", "true") would mask ordinary words


def redact(text: str) -> str:
    """``text`` with every secret the rule knows replaced by ``***``."""
    if not text:
        return text
    text = _USERINFO_SCHEME.sub(MASK + "@", text)
    text = _USERINFO.sub(MASK + "@", text)
    text = _QUERY.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _JWT.sub(MASK, text)
    for name, value in os.environ.items():
        if len(value) >= MIN_SECRET_LEN and _SECRET_NAME.search(name) and value in text:
            text = text.replace(value, MASK)
    return text
