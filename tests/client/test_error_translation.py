"""Every family of botocore failure becomes a typed aioproton error that says what to do."""

from __future__ import annotations

import botocore.exceptions as boto
import botocore.parsers
import pytest

import aioproton
from aioproton.errors import translate, translate_configuration_error

CASES = [
    (boto.NoCredentialsError(), aioproton.CredentialsNotFoundError, "no AWS credentials found"),
    (
        boto.PartialCredentialsError(provider="env", cred_var="aws_secret_access_key"),
        aioproton.IncompleteCredentialsError,
        "aws_secret_access_key is missing",
    ),
    (
        boto.CredentialRetrievalError(provider="custom-process", error_msg="exit status 1"),
        aioproton.CredentialSourceError,
        "custom-process",
    ),
    (
        boto.TokenRetrievalError(provider="sso", error_msg="refresh failed"),
        aioproton.LoginRequiredError,
        "aws sso login",
    ),
    (boto.SSOTokenLoadError(error_msg="no token file"), aioproton.LoginRequiredError, "sso"),
    (boto.UnauthorizedSSOTokenError(), aioproton.LoginRequiredError, "aws sso login"),
    (boto.LoginRefreshRequired(), aioproton.LoginRequiredError, "aws login"),
    (
        botocore.parsers.ResponseParserError("bad bytes"),
        aioproton.ProtonResponseError,
        "bad bytes",
    ),
    (boto.NoRegionError(), aioproton.ConfigurationError, "region_name"),
    (
        boto.InvalidRegionError(region_name="us east"),
        aioproton.ConfigurationError,
        "'us east'",
    ),
    (boto.ProfileNotFound(profile="ghost"), aioproton.ConfigurationError, "ghost"),
    (boto.ConfigParseError(path="/x/config"), aioproton.ConfigurationError, "/x/config"),
    (boto.UnknownSignatureVersionError(signature_version="v9"), aioproton.ConfigurationError, ""),
    (
        boto.ChecksumError(checksum_type="crc32", expected_checksum="a", actual_checksum="b"),
        aioproton.ProtonResponseError,
        "crc32",
    ),
    (boto.CapacityNotAvailableError(), aioproton.ProtonSDKError, "CapacityNotAvailableError"),
]


@pytest.mark.parametrize(
    ("exc", "expected", "hint"), CASES, ids=[type(c[0]).__name__ for c in CASES]
)
def test_each_botocore_family_has_a_typed_error(
    exc: Exception, expected: type[aioproton.ProtonError], hint: str
) -> None:
    error = translate(exc, operation="ListEnvironments", replay_safe=True)
    assert type(error) is expected
    assert isinstance(error, aioproton.ProtonError)
    assert error.operation == "ListEnvironments"
    assert hint in str(error)
    assert error.code == type(exc).__name__


def test_credential_errors_say_nothing_was_sent_and_what_to_do() -> None:
    error = translate(boto.NoCredentialsError(), operation="ListEnvironments", replay_safe=True)
    assert isinstance(error, aioproton.CredentialsError)
    assert not error.ambiguous
    assert not error.retry_safe  # asking again finds no credentials either
    for advice in ("aws_access_key_id", "AWS_PROFILE", "client_settings"):
        assert advice in error.message
    # A failing source (a credential_process, the instance metadata service) may recover.
    source = translate(
        boto.CredentialRetrievalError(provider="imds", error_msg="timeout"),
        operation="ListEnvironments",
        replay_safe=False,
    )
    assert source.retry_safe
    assert not source.ambiguous


def test_a_malformed_response_is_ambiguous() -> None:
    error = translate(
        botocore.parsers.ResponseParserError("truncated"),
        operation="UpdateEnvironment",
        replay_safe=False,
    )
    assert error.ambiguous
    assert not error.retry_safe
    assert error.fault == "server"


def test_construction_errors_translate_without_an_operation() -> None:
    error = translate_configuration_error(boto.NoRegionError())
    assert isinstance(error, aioproton.ConfigurationError)
    assert error.operation is None
    assert str(error).startswith("NoRegionError: ")
    assert isinstance(error, ValueError)
    credentials = translate_configuration_error(
        boto.PartialCredentialsError(provider="explicit", cred_var="aws_secret_access_key")
    )
    assert isinstance(credentials, aioproton.IncompleteCredentialsError)
    # A ValueError from botocore's own checks (an endpoint URL it cannot use) is a setting.
    bad_url = translate_configuration_error(ValueError("Invalid endpoint: not a url"))
    assert isinstance(bad_url, aioproton.ConfigurationError)
    assert "not a url" in str(bad_url)


def test_anything_else_is_not_translated() -> None:
    with pytest.raises(TypeError):
        translate(KeyError("x"), operation="ListEnvironments", replay_safe=True)
    with pytest.raises(TypeError):
        translate_configuration_error(KeyError("x"))


def test_the_tree_in_the_docstring_names_every_class() -> None:
    classes = [
        value
        for value in vars(aioproton.errors).values()
        if isinstance(value, type) and issubclass(value, aioproton.ProtonError)
    ]
    doc = aioproton.errors.__doc__ or ""
    assert [cls.__name__ for cls in classes if f" {cls.__name__} " not in doc] == []


def test_an_unclassified_botocore_failure_is_not_retried() -> None:
    error = translate(
        boto.CapacityNotAvailableError(), operation="GetEnvironment", replay_safe=True
    )
    assert isinstance(error, aioproton.ProtonSDKError)
    assert error.ambiguous
    assert not error.retry_safe
    assert "report" in error.message
