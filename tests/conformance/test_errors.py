"""Every Proton error reaches boto3 as the modelled exception, with its status and request id.

botocore picks the exception class from the body's ``__type``; a body or status the
service would not send shows up as a generic ``ClientError`` or a wrong status here,
and as a violation in the response checker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ._support import (
    ACCOUNT,
    CONNECTION_ARN,
    ERROR_STATUS,
    OTHER_ROLE,
    ROLE,
    Control,
)

pytestmark = pytest.mark.slow


def _raises(proton: Any, code: str, call: Callable[[], Any]) -> dict[str, Any]:
    """Run ``call``; it must raise the modelled ``code``; returns the error response."""
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value
    assert type(error) is getattr(proton.exceptions, code)
    response: dict[str, Any] = error.response
    assert response["Error"]["Code"] == code
    assert response["Error"]["Message"]
    metadata = response["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == ERROR_STATUS[code]
    assert metadata["RequestId"]
    assert metadata["HTTPHeaders"]["x-amzn-requestid"] == metadata["RequestId"]
    assert metadata["HTTPHeaders"]["x-amzn-errortype"].split(":")[0] == code
    assert metadata["RetryAttempts"] == 0
    return response


@pytest.fixture(autouse=True)
def _clean(fresh: Control) -> Iterator[None]:
    yield
    fresh.clear_faults()


def test_resource_not_found(proton: Any) -> None:
    response = _raises(
        proton, "ResourceNotFoundException", lambda: proton.get_environment(name="nowhere")
    )
    assert "nowhere" in response["Error"]["Message"]


def test_validation_of_what_botocore_does_not_check(proton: Any) -> None:
    """botocore checks types and minimums only; the service also checks patterns and maxima."""
    response = _raises(
        proton,
        "ValidationException",
        lambda: proton.create_environment_template(name="not a valid name!"),
    )
    assert "name" in response["Error"]["Message"]
    _raises(
        proton,
        "ValidationException",
        lambda: proton.create_environment_template(name="long", description="x" * 501),
    )


def test_conflict(proton: Any) -> None:
    proton.create_repository(name="org/dup", provider="GITHUB", connectionArn=CONNECTION_ARN)
    other = CONNECTION_ARN.replace("conformance", "elsewhere")
    _raises(
        proton,
        "ConflictException",
        lambda: proton.create_repository(name="org/dup", provider="GITHUB", connectionArn=other),
    )


def test_service_quota_exceeded(proton: Any) -> None:
    """Five environment account connections per account; the sixth is over the quota."""
    for index in range(5):
        proton.create_environment_account_connection(
            environmentName=f"env-{index}", managementAccountId=ACCOUNT, roleArn=ROLE
        )
    response = _raises(
        proton,
        "ServiceQuotaExceededException",
        lambda: proton.create_environment_account_connection(
            environmentName="env-5", managementAccountId=ACCOUNT, roleArn=ROLE
        ),
    )
    assert "quota" in response["Error"]["Message"]


def test_access_denied_to_the_wrong_account(proton: Any, other_account: Any) -> None:
    requested = other_account.create_environment_account_connection(
        environmentName="staging", managementAccountId=ACCOUNT, roleArn=OTHER_ROLE
    )["environmentAccountConnection"]
    _raises(
        other_account,
        "AccessDeniedException",
        lambda: other_account.reject_environment_account_connection(id=requested["id"]),
    )


def test_throttling(proton: Any, control: Control) -> None:
    control.set_faults(throttle_rate=1.0, operations=["GetAccountSettings"])
    _raises(proton, "ThrottlingException", proton.get_account_settings)
    # Only the faulted operation is throttled.
    assert proton.list_environments()["environments"] == []


def test_internal_server_error(proton: Any, control: Control) -> None:
    control.set_faults(error_rate=1.0, operations=["GetAccountSettings"])
    _raises(proton, "InternalServerException", proton.get_account_settings)
    control.clear_faults()
    assert "accountSettings" in proton.get_account_settings()
