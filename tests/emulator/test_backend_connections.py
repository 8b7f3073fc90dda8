"""Environment account connections: requests, accept/reject, use by environments, accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas

from ..recipes import ACCOUNT, COMPONENT_ROLE, SERVICE_ROLE, SETTLE, arn, env_template, environment

MANAGEMENT = "111111111111"
WORKLOAD = "222222222222"
MANAGEMENT_ROLE = f"arn:aws:iam::{WORKLOAD}:role/proton-provisioning"


async def test_single_account_lifecycle(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await env_template(proton_client, proton_emulator)
    conn = await proton_client.create_environment_account_connection(
        environment_name="prod", management_account_id=ACCOUNT, role_arn=SERVICE_ROLE
    )
    assert conn.status == "PENDING"
    assert conn.arn == arn(f"environment-account-connection/{conn.id}")
    assert conn.environment_account_id == ACCOUNT
    assert conn.requested_at == conn.last_modified_at
    with pytest.raises(aioproton.ValidationError, match="PENDING"):
        await environment(
            proton_client,
            proton_emulator,
            proton_service_role_arn=None,
            environment_account_connection_id=conn.id,
        )
    accepted = await proton_client.accept_environment_account_connection(id=conn.id)
    assert accepted.status == "CONNECTED"
    assert (
        await proton_client.accept_environment_account_connection(id=conn.id)
    ).status == "CONNECTED"
    with pytest.raises(aioproton.ValidationError, match="for environment prod, not staging"):
        await environment(
            proton_client,
            proton_emulator,
            "staging",
            proton_service_role_arn=None,
            environment_account_connection_id=conn.id,
        )
    env = await environment(
        proton_client,
        proton_emulator,
        proton_service_role_arn=None,
        environment_account_connection_id=conn.id,
    )
    assert env.environment_account_connection_id == conn.id
    assert env.environment_account_id == ACCOUNT
    with pytest.raises(aioproton.ConflictError, match="used by environment prod"):
        await proton_client.reject_environment_account_connection(id=conn.id)
    with pytest.raises(aioproton.ValidationError, match="connection"):
        await proton_client.update_environment(
            name="prod", deployment_type="NONE", proton_service_role_arn=SERVICE_ROLE
        )
    updated = await proton_client.update_environment_account_connection(
        id=conn.id, component_role_arn=COMPONENT_ROLE
    )
    assert updated.component_role_arn == COMPONENT_ROLE
    # The component role of the connection serves the environment's components.
    await proton_client.update_environment(name="prod", deployment_type="NONE", description="x")
    component = await proton_client.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    assert component.environment_name == "prod"
    deleted = await proton_client.delete_environment_account_connection(id=conn.id)
    assert deleted is not None and deleted.status == "CONNECTED"
    again = await proton_client.delete_environment_account_connection(id=conn.id)
    assert again is not None and again.id == conn.id
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_environment_account_connection(id=conn.id)
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ValidationError, match="no longer connected"):
        await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    kept = await proton_client.update_environment(
        name="prod", deployment_type="NONE", description="y"
    )
    assert kept.environment_account_connection_id == conn.id
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.delete_environment_account_connection(
            id="0" * 8 + "-0000-4000-8000-" + "0" * 12
        )


async def test_reject_accept_duplicates_and_roles(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    with pytest.raises(aioproton.ValidationError, match="roleArn"):
        await proton_client.create_environment_account_connection(
            environment_name="prod", management_account_id=ACCOUNT
        )
    codebuild_only = await proton_client.create_environment_account_connection(
        environment_name="ci", management_account_id=ACCOUNT, codebuild_role_arn=SERVICE_ROLE
    )
    assert (
        codebuild_only.role_arn == SERVICE_ROLE
        and codebuild_only.codebuild_role_arn == SERVICE_ROLE
    )
    conn = await proton_client.create_environment_account_connection(
        environment_name="prod", management_account_id=ACCOUNT, role_arn=SERVICE_ROLE
    )
    with pytest.raises(aioproton.ConflictError, match="already links"):
        await proton_client.create_environment_account_connection(
            environment_name="prod", management_account_id=ACCOUNT, role_arn=SERVICE_ROLE
        )
    rejected = await proton_client.reject_environment_account_connection(id=conn.id)
    assert rejected.status == "REJECTED"
    assert (
        await proton_client.reject_environment_account_connection(id=conn.id)
    ).status == "REJECTED"
    with pytest.raises(aioproton.ConflictError, match="rejected"):
        await proton_client.accept_environment_account_connection(id=conn.id)
    # A rejected connection no longer blocks a new request for the same environment.
    renewed = await proton_client.create_environment_account_connection(
        environment_name="prod", management_account_id=ACCOUNT, role_arn=SERVICE_ROLE
    )
    listed = await proton_client.list_environment_account_connections(
        requested_by="ENVIRONMENT_ACCOUNT", statuses=["PENDING"]
    )
    assert {c.id for c in listed.environment_account_connections} == {
        codebuild_only.id,
        renewed.id,
    }
    by_env = await proton_client.list_environment_account_connections(
        requested_by="MANAGEMENT_ACCOUNT", environment_name="prod"
    )
    assert {c.id for c in by_env.environment_account_connections} == {conn.id, renewed.id}


async def test_client_token_and_quota(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.backend.quotas = Quotas(connections_per_account=1)
    first = await proton_client.create_environment_account_connection(
        environment_name="prod",
        management_account_id=ACCOUNT,
        role_arn=SERVICE_ROLE,
        client_token="t1",
    )
    replay = await proton_client.create_environment_account_connection(
        environment_name="prod",
        management_account_id=ACCOUNT,
        role_arn=SERVICE_ROLE,
        client_token="t1",
    )
    assert replay.id == first.id
    with pytest.raises(aioproton.IdempotentParameterMismatchError):
        await proton_client.create_environment_account_connection(
            environment_name="dev",
            management_account_id=ACCOUNT,
            role_arn=SERVICE_ROLE,
            client_token="t1",
        )
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await proton_client.create_environment_account_connection(
            environment_name="dev", management_account_id=ACCOUNT, role_arn=SERVICE_ROLE
        )


@pytest.fixture
async def two_accounts() -> AsyncIterator[Emulator]:
    async with Emulator(
        clock=ManualClock(),
        check_responses=True,
        credentials={"AKIDMANAGEMENT000000": "s1", "AKIDWORKLOAD00000000": "s2"},
        accounts={"AKIDMANAGEMENT000000": MANAGEMENT, "AKIDWORKLOAD00000000": WORKLOAD},
    ) as emu:
        yield emu


def _client(emu: Emulator, key: str, secret: str) -> aioproton.ProtonClient:
    return emu.client(
        aws_access_key_id=key, aws_secret_access_key=secret, retry=aioproton.RetryPolicy.never()
    )


async def test_management_and_environment_accounts(two_accounts: Emulator) -> None:
    emu = two_accounts
    async with (
        _client(emu, "AKIDMANAGEMENT000000", "s1") as management,
        _client(emu, "AKIDWORKLOAD00000000", "s2") as workload,
    ):
        conn = await workload.create_environment_account_connection(
            environment_name="prod", management_account_id=MANAGEMENT, role_arn=MANAGEMENT_ROLE
        )
        assert conn.arn.split(":")[4] == WORKLOAD
        assert conn.environment_account_id == WORKLOAD
        with pytest.raises(aioproton.AccessDeniedError):
            await workload.accept_environment_account_connection(id=conn.id)
        incoming = await management.list_environment_account_connections(
            requested_by="MANAGEMENT_ACCOUNT"
        )
        assert [c.id for c in incoming.environment_account_connections] == [conn.id]
        outgoing = await management.list_environment_account_connections(
            requested_by="ENVIRONMENT_ACCOUNT"
        )
        assert list(outgoing.environment_account_connections) == []
        await management.accept_environment_account_connection(id=conn.id)
        with pytest.raises(aioproton.AccessDeniedError):
            await management.delete_environment_account_connection(id=conn.id)
        with pytest.raises(aioproton.AccessDeniedError):
            await management.update_environment_account_connection(
                id=conn.id, role_arn=SERVICE_ROLE
            )
        await env_template(management, emu)
        env = await environment(
            management,
            emu,
            proton_service_role_arn=None,
            environment_account_connection_id=conn.id,
        )
        assert env.environment_account_id == WORKLOAD
        assert env.arn.split(":")[4] == MANAGEMENT
        with pytest.raises(aioproton.ResourceNotFoundError):
            await workload.get_environment(name="prod")
        emu.advance(SETTLE)
        with pytest.raises(aioproton.ConflictError, match="used by environment prod"):
            await management.reject_environment_account_connection(id=conn.id)
        # Deleting is allowed even while an environment uses the connection.
        deleted = await workload.delete_environment_account_connection(id=conn.id)
        assert deleted is not None
