"""Fix 6: one secret rule (name or value shape) for the profile check and every output."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letrade_cli.core.errors import SecretInProfileError
from letrade_cli.serverless.deploy.config import describe_changes
from letrade_cli.serverless.environment import mask_mapping, resolve_environment
from letrade_cli.serverless.profile import load_lambda_profile
from letrade_cli.serverless.secrets import SECRET_WORDS, is_secret, is_secret_name
from tests.serverless.lambda_fixtures import write_function, write_profile

REPO = Path(__file__).resolve().parents[2]
LITERALS = {
    "UPBIT_KEY": "lX9aQ2mZ8kR4tY6u",
    "DB_PASS": "hunter2hunter2",
    "AUTHORIZATION": "Bearer eyJhbGciOiJIUzI1NiJ9.abcdefgh.ijklmnop",
    "NOTIFY_URL": "https://hooks.example.com/notify?token=9f8e7d6c5b4a",
    "SLACK": "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX",
    "DATABASE_URL": "postgres://app:s3cretpw@db.internal:5432/app",
    "upbitSecretKey": "abc123abc123",
}


def profile_env(tmp_path: Path, env: dict[str, str]) -> None:
    write_function(tmp_path, "fx", {"app.py": "def handler(e, c):\n    return 1\n"})
    write_profile(
        tmp_path, {"fx": {"source": "src/fx", "handler": "app.handler", "environment": env}}
    )


@pytest.mark.parametrize(("name", "value"), sorted(LITERALS.items()))
def test_literal_secret_by_name_or_shape_is_refused(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SecretInProfileError) as info:
        profile_env(tmp_path, {name: value})
    assert f"environment.{name}" in info.value.message
    assert value not in str(info.value)  # never echo the secret


@pytest.mark.parametrize(
    "env",
    [
        {
            "UPBIT_KEY": "env:UPBIT_KEY",
            "DB_PASS": "ssm:/db/pass",
            "AUTHORIZATION": "secretsmanager:x",
        },
        {"MARKETS": "KRW-BTC", "BUCKET": "data", "MONKEY": "banana", "NOTIFY_URL": ""},
        {"NOTIFY_URL": "https://example.com/hook", "KEYBOARD": "qwerty", "PASSENGER": "7"},
    ],
)
def test_references_and_plain_values_are_accepted(tmp_path: Path, env: dict[str, str]) -> None:
    profile_env(tmp_path, env)


def test_shipped_profile_passes_the_rule() -> None:
    load_lambda_profile(str(REPO / "letrade_cli" / "profiles" / "lambda.yaml"))


words = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)


@given(st.lists(words, max_size=3), st.sampled_from(SECRET_WORDS), st.lists(words, max_size=2))
def test_any_name_with_a_secret_word_part_is_secret(
    before: list[str], word: str, after: list[str]
) -> None:
    assert is_secret_name("_".join([*before, word, *after]))


@given(st.dictionaries(st.from_regex(r"[A-Z][A-Z_]{0,12}", fullmatch=True), st.text(max_size=40)))
def test_masking_follows_the_same_rule(values: dict[str, str]) -> None:
    masked = mask_mapping(values, frozenset())
    for key, value in values.items():
        assert (masked[key] == "****") is is_secret(key, value) or masked[key] == value == "****"


def test_a_value_shaped_secret_from_a_reference_is_masked_in_deploy_output() -> None:
    hook = "https://hooks.example.com/x?token=abcdef123456"
    env = resolve_environment({"HOOK": "env:MY_HOOK"}, lambda s: None, {"MY_HOOK": hook})
    assert env.masked() == {"HOOK": "****"}
    lines = describe_changes(
        {"Environment": {"Variables": env.values}},
        {"Environment": {"Variables": {"HOOK": "https://old.example.com/?token=zzzzzz999"}}},
        env.secret_keys,
    )
    assert lines == ["Environment.HOOK: **** -> ****"]
    assert env.redactor()(f"AWS said: bad value {hook}") == "AWS said: bad value ****"
