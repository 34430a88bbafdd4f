"""boto3 sessions and clients, and the one place botocore errors become Letrade errors.

AWS's own credential chain is used as is (environment, ``~/.aws``, SSO, IMDS); ``--aws-profile``
only picks a named profile. Every client records the operations it calls in ``AwsClients.calls``
so ``--plan`` can prove it wrote nothing. boto3 is imported inside functions only, so
``letrade --help`` never loads it.

Translation (``translate_aws_error``)::

    EndpointConnectionError, ConnectTimeoutError  -> NetworkUnavailableError (exit 4)
    NoCredentialsError, ProfileNotFound, bad keys  -> ConfigError (exit 2)
    ClientError (any other AWS error code)         -> AwsRejectedError (exit 3)
    WaiterError, other BotoCoreError               -> LetradeError (exit 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from letrade_cli.core.errors import (
    ConfigError,
    ExchangeRejectedError,
    LetradeError,
    NetworkUnavailableError,
)

CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
READ_PREFIXES = ("Get", "List", "Describe")


class AwsRejectedError(ExchangeRejectedError):
    """AWS answered with an error code (exit 3: the service said no; read its code)."""


@dataclass(slots=True)
class AwsTarget:
    """Where and as whom to call AWS; ``None`` means "let boto3's own chain decide"."""

    region: str | None = None
    endpoint_url: str | None = None
    aws_profile: str | None = None


@dataclass
class AwsClients:
    """A lazily built boto3 session plus one cached client per service.

    Args:
        target: region, endpoint and named profile.
        fallback_region: used when neither ``target.region`` nor boto3's chain gives one.
    """

    target: AwsTarget = field(default_factory=AwsTarget)
    fallback_region: str = "us-east-1"
    calls: list[str] = field(default_factory=list)
    _session: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def session(self) -> Any:
        """The boto3 Session (``profile_name`` from ``--aws-profile``)."""
        if self._session is None:
            import boto3
            import botocore.session
            from botocore.exceptions import BotoCoreError

            core = botocore.session.get_session()
            core.register_component("data_loader", _shared_loader())
            try:
                self._session = boto3.Session(
                    botocore_session=core, profile_name=self.target.aws_profile
                )
            except BotoCoreError as exc:
                raise translate_aws_error(exc) from exc
        return self._session

    @property
    def region(self) -> str:
        """Flag, then AWS's chain (AWS_REGION, ~/.aws/config), then the profile default."""
        return self.target.region or self.session.region_name or self.fallback_region

    def client(self, service: str) -> Any:
        """A client for ``service`` that records every operation it calls."""
        if service not in self._clients:
            from botocore.config import Config

            config = Config(
                retries={"mode": "standard"},  # AWS_MAX_ATTEMPTS still applies
                connect_timeout=5,
                read_timeout=70,
                user_agent_extra="letrade",
            )
            client = self.session.client(
                service,
                region_name=self.region,
                endpoint_url=self.target.endpoint_url,
                config=config,
            )
            client.meta.events.register("before-call", self._record)
            self._clients[service] = client
        return self._clients[service]

    def writes(self) -> list[str]:
        """Operations called so far that are not reads (Get*/List*/Describe*)."""
        return [c for c in self.calls if not c.split(".", 1)[1].startswith(READ_PREFIXES)]

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(f"{model.service_model.service_name}.{model.name}")


@cache
def _shared_loader() -> Any:
    """The botocore service-model loader, shared by every session in this process.

    Only the parsed JSON models are shared (credentials stay per session): building a client then
    costs ~30 ms instead of ~100 ms, which adds up over ``lambda-deploy --all``.
    """
    from botocore.loaders import create_loader

    return create_loader()


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, or ``""``."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def translate_aws_error(exc: Exception, step: str | None = None) -> LetradeError:
    """Turn a botocore exception into the LetradeError the user can act on."""
    from botocore import exceptions as bx

    where = f"{step}: " if step else ""
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError):
        return NetworkUnavailableError(
            f"{where}cannot reach the AWS endpoint ({exc})",
            hint="check your network, --region and --endpoint-url",
        )
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return ConfigError(
            f"{where}no AWS credentials found",
            hint="set AWS_PROFILE or --aws-profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        )
    if isinstance(exc, bx.ProfileNotFound):
        return ConfigError(f"{where}{exc}", hint="list profiles with `aws configure list-profiles`")
    if isinstance(exc, bx.ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        message = _one_line(message)  # a proxy's HTML error page is not a message
        if code in CREDENTIAL_CODES:
            return ConfigError(
                f"{where}AWS refused the credentials: {code}: {message}",
                hint="refresh or fix your AWS credentials",
            )
        return AwsRejectedError(
            f"{where}AWS said {code}: {message}", code=code, hint=_hint_for(code)
        )
    if isinstance(exc, bx.WaiterError):
        return LetradeError(
            f"{where}gave up waiting: {exc}",
            hint="the function did not become ready; see its state in the console",
        )
    return LetradeError(f"{where}{type(exc).__name__}: {exc}")


def _one_line(text: str, limit: int = 300) -> str:
    """Whitespace collapsed, markup dropped, at most ``limit`` characters."""
    import re

    flat = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _hint_for(code: str) -> str | None:
    if code in ("AccessDeniedException", "AccessDenied"):
        return "the caller lacks an IAM permission for this call"
    if code == "TooManyRequestsException":
        return "throttled: retry in a moment"
    if code == "InvalidParameterValueException":
        return "check the profile values (role ARN, runtime, handler, layers)"
    if code.endswith("NotFoundException"):
        return "the resource does not exist in this account/region"
    return None


def is_aws_error(exc: BaseException) -> bool:
    """True for the botocore exceptions ``translate_aws_error`` knows how to map."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, BotoCoreError | ClientError)
