"""Every error class, raised by a real server, with the facts a caller decides on."""

from __future__ import annotations

import socket

import pytest

import aioproton
from aioproton.emulator import Emulator, FaultSettings

from ..recipes import FAST_RETRIES
from .conftest import ScriptedServer


async def test_not_found_carries_operation_status_and_request_id(
    proton_client: aioproton.ProtonClient,
) -> None:
    with pytest.raises(aioproton.ResourceNotFoundError) as caught:
        await proton_client.get_environment(name="missing")
    error = caught.value
    assert error.operation == "GetEnvironment"
    assert error.code == "ResourceNotFoundException"
    assert error.http_status == 404
    assert error.request_id
    assert error.fault == "client"
    assert not error.retry_safe
    assert not error.ambiguous
    assert "GetEnvironment" in str(error)
    assert error.request_id in str(error)


async def test_conflict(proton_client: aioproton.ProtonClient) -> None:
    await proton_client.create_environment_template(name="base")
    await proton_client.create_environment_template_version(
        template_name="base",
        source=aioproton.models.TemplateVersionSourceInputS3(
            aioproton.models.S3ObjectSource(bucket="bundles", key="base.tar.gz")
        ),
    )
    with pytest.raises(aioproton.ConflictError) as caught:
        await proton_client.delete_environment_template(name="base")
    assert caught.value.http_status == 409


async def test_server_side_validation_when_client_validation_is_off(
    proton_emulator: Emulator,
) -> None:
    async with aioproton.ProtonClient(**proton_emulator.client_settings, validate=False) as proton:
        with pytest.raises(aioproton.ValidationError) as caught:
            await proton.get_environment(name="x" * 101)
    assert not isinstance(caught.value, aioproton.ParameterValidationError)
    assert caught.value.http_status == 400
    assert "name" in caught.value.message
    assert proton_emulator.requests.count(operation="GetEnvironment") == 1


async def test_idempotent_parameter_mismatch_is_its_own_class(
    proton_client: aioproton.ProtonClient,
) -> None:
    await proton_client.create_environment_template(name="base", description="first")
    with pytest.raises(aioproton.IdempotentParameterMismatchError) as caught:
        await proton_client.create_environment_template(name="base", description="second")
    assert isinstance(caught.value, aioproton.ValidationError)
    assert caught.value.http_status == 400


async def test_quota_exceeded(proton_client: aioproton.ProtonClient) -> None:
    for i in range(100):
        await proton_client.create_environment_template(name=f"t{i}")
    with pytest.raises(aioproton.ServiceQuotaExceededError) as caught:
        await proton_client.create_service_template(name="one-too-many")
    assert caught.value.http_status == 402


async def test_throttling_and_internal_errors_from_injected_faults(
    proton_emulator: Emulator,
) -> None:
    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, retry=aioproton.RetryPolicy.never()
    ) as proton:
        proton_emulator.faults.configure(FaultSettings(throttle_rate=1.0))
        with pytest.raises(aioproton.ThrottlingError) as throttled:
            await proton.get_account_settings()
        assert throttled.value.retry_safe
        assert throttled.value.http_status == 429
        proton_emulator.faults.configure(FaultSettings(error_rate=1.0))
        with pytest.raises(aioproton.InternalServerError) as failed:
            await proton.get_account_settings()
        assert failed.value.fault == "server"
        assert failed.value.ambiguous
        assert failed.value.retry_safe  # read-only calls are safe to repeat
        with pytest.raises(aioproton.InternalServerError) as update_failed:
            await proton.update_account_settings(pipeline_service_role_arn="")
        assert not update_failed.value.retry_safe  # not idempotent, no client token


async def test_access_denied_for_a_bad_signature() -> None:
    async with Emulator(auth="strict", credentials={"AKIDGOOD": "right-secret"}) as emu:
        settings = dict(emu.client_settings)
        settings.update(aws_access_key_id="AKIDGOOD", aws_secret_access_key="wrong-secret")
        async with aioproton.ProtonClient(**settings, retry=FAST_RETRIES) as proton:
            with pytest.raises(aioproton.AccessDeniedError) as caught:
                await proton.get_account_settings()
    assert caught.value.http_status == 403
    assert caught.value.code == "InvalidSignatureException"
    assert "wrong-secret" not in str(caught.value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_is_retry_safe_and_not_ambiguous() -> None:
    async with aioproton.ProtonClient(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        retry=aioproton.RetryPolicy.never(),
    ) as proton:
        with pytest.raises(aioproton.ProtonConnectionError) as caught:
            await proton.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert caught.value.retry_safe  # it never reached a server
    assert not caught.value.ambiguous


async def test_a_dropped_connection_is_ambiguous(proton_emulator: Emulator) -> None:
    proton_emulator.faults.configure(FaultSettings(reset_rate=1.0))
    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, retry=aioproton.RetryPolicy.never()
    ) as proton:
        with pytest.raises(aioproton.ProtonConnectionError) as caught:
            await proton.update_account_settings(pipeline_service_role_arn="")
    assert caught.value.ambiguous
    assert not caught.value.retry_safe


@pytest.mark.slow
async def test_a_read_timeout(scripted: ScriptedServer) -> None:
    scripted.stall = 2.0
    async with scripted.client(read_timeout=0.2, retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.ProtonTimeoutError) as caught:
            await proton.get_environment(name="prod")
    assert caught.value.ambiguous
    assert caught.value.retry_safe
    assert isinstance(caught.value, TimeoutError)


async def test_an_unknown_error_code(scripted: ScriptedServer) -> None:
    scripted.reply(400, {"__type": "com.amazonaws.proton#BrandNewException", "message": "new"})
    async with scripted.client() as proton:
        with pytest.raises(aioproton.UnknownServiceError) as caught:
            await proton.get_environment(name="prod")
    assert caught.value.code == "BrandNewException"
    assert caught.value.message == "new"
    assert caught.value.http_status == 400


async def test_an_unknown_5xx_is_an_internal_error(scripted: ScriptedServer) -> None:
    for _ in range(4):
        scripted.reply(503, {"__type": "ServiceUnavailable", "message": "later"})
    async with scripted.client() as proton:
        with pytest.raises(aioproton.InternalServerError):
            await proton.get_environment(name="prod")
    assert len(scripted.received) == FAST_RETRIES.max_attempts


async def test_a_response_without_its_resource_is_a_response_error(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(200, {})
    scripted.reply(200, {"environment": {"name": "prod", "createdAt": "yesterday"}})
    async with scripted.client() as proton:
        with pytest.raises(aioproton.ProtonResponseError, match="no 'environment'"):
            await proton.get_environment(name="prod")
        with pytest.raises(aioproton.ProtonResponseError, match="not a timestamp"):
            await proton.get_environment(name="prod")


async def test_a_delete_with_an_empty_body_returns_none(scripted: ScriptedServer) -> None:
    scripted.reply(200, {})
    async with scripted.client() as proton:
        assert await proton.delete_environment(name="prod") is None


async def test_errors_survive_pickling() -> None:
    import pickle

    error = aioproton.ConflictError("busy", operation="UpdateEnvironment", http_status=409)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is aioproton.ConflictError
    assert (copy.operation, copy.http_status, copy.message) == ("UpdateEnvironment", 409, "busy")
