"""Per-call retry policies and deadlines: ``proton.with_options`` and ``calls.with_options``."""

from __future__ import annotations

import random

import pytest

import aioproton
from aioproton import RetryPolicy
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.errors import ClientClosedError, ProtonTimeoutError, ThrottlingError
from aioproton.testing import ProtonFaults
from aioproton.workflow import DurableRetry, IdempotentCalls

from ..recipes import World
from .conftest import SETTLE


async def test_a_view_retries_by_its_own_policy_and_the_client_by_its_own(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_faults: ProtonFaults
) -> None:
    await World(proton_emulator, proton_client, settle=SETTLE).environment_template("base")
    proton_faults.throttle(rate=1.0, operations=["GetEnvironmentTemplate"])
    own = proton_client.config.retry
    assert own.max_attempts != 2
    twice = proton_client.with_options(retry=RetryPolicy(max_attempts=2, initial_delay=0.01))
    with pytest.raises(ThrottlingError):
        await twice.get_environment_template(name="base")
    assert proton_emulator.requests.count(operation="GetEnvironmentTemplate") == 2
    with pytest.raises(ThrottlingError):
        await proton_client.get_environment_template(name="base")
    assert proton_emulator.requests.count(operation="GetEnvironmentTemplate") == (
        2 + own.max_attempts
    )
    assert proton_client.config.retry is own, "the client is left as it was"


async def test_a_deadline_stops_retrying_on_the_clients_clock(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_faults: ProtonFaults,
    proton_clock: ManualClock,
) -> None:
    await World(proton_emulator, proton_client, settle=SETTLE).environment_template("base")
    proton_faults.throttle(rate=1.0, operations=["GetEnvironmentTemplate"])
    patient = RetryPolicy(max_attempts=1000, initial_delay=0.2, max_delay=0.2, rng=random.Random(7))
    view = proton_client.with_options(retry=patient, deadline=2.0)
    assert view.config.retry.max_elapsed == 2.0
    with pytest.raises(ThrottlingError):
        await view.get_environment_template(name="base")
    # Waits of at most 0.2 s each: over 10 attempts fit in 2 s, far fewer than 1000.
    assert 10 < proton_emulator.requests.count(operation="GetEnvironmentTemplate") < 1000


async def test_a_call_slower_than_its_deadline_is_cancelled_with_a_typed_error(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_faults: ProtonFaults
) -> None:
    await World(proton_emulator, proton_client, settle=SETTLE).environment_template("base")
    proton_faults.latency(400, operations=["GetEnvironmentTemplate"])
    with pytest.raises(ProtonTimeoutError, match=r"within its 0\.05 s deadline") as caught:
        await proton_client.with_options(deadline=0.05).get_environment_template(name="base")
    assert caught.value.operation == "GetEnvironmentTemplate"
    proton_faults.clear()
    template = await proton_client.with_options(deadline=30).get_environment_template(name="base")
    assert template.name == "base"


async def test_a_view_is_opened_and_closed_with_its_client(proton_emulator: Emulator) -> None:
    async with proton_emulator.client() as proton:
        view = proton.with_options(deadline=10)
        with pytest.raises(ClientClosedError, match="opened and closed with the client"):
            async with view:
                pytest.fail("a view opened on its own")
        await view.aclose()
        assert not view.closed, "closing a view leaves the client open"
        assert view.paginate is not None
        with pytest.raises(ValueError, match="positive seconds"):
            proton.with_options(deadline=0)
    assert view.closed
    with pytest.raises(ClientClosedError):
        await view.list_environments()


async def test_idempotent_calls_take_a_per_call_retry_policy(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_faults: ProtonFaults,
    proton_clock: ManualClock,
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await world.environment_template("base", ("1.0", "1.1"))
    await world.environment("e1", major="1", minor="0")
    calls = IdempotentCalls(clock=proton_clock)
    twice = calls.with_options(retry=DurableRetry(max_attempts=2, initial_delay=0.01))
    assert twice.store is calls.store and twice.retry.max_attempts == 2
    assert calls.with_options(deadline=30).retry.deadline == 30
    assert calls.retry.deadline == 900, "the original keeps its policy"
    proton_faults.throttle(rate=1.0, operations=["UpdateEnvironment"])
    once_per_attempt = proton_client.with_options(retry=RetryPolicy.never())
    with pytest.raises(ThrottlingError):
        await twice.call(
            "update/e1",
            once_per_attempt.update_environment,
            name="e1",
            deployment_type="MINOR_VERSION",
            template_minor_version="1",
        )
    assert proton_emulator.requests.count(operation="UpdateEnvironment") == 2
    proton_faults.clear()
    updated = await calls.call(
        "update/e1",
        proton_client.update_environment,
        name="e1",
        deployment_type="MINOR_VERSION",
        template_minor_version="1",
    )
    assert updated.deployment_status == "IN_PROGRESS"
    assert proton_emulator.requests.count(operation="UpdateEnvironment", committed=True) == 1


async def test_a_check_before_each_attempt_runs_once_per_attempt_and_may_stop_the_next(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_faults: ProtonFaults
) -> None:
    from aioproton._client import ClientWithOptions

    await World(proton_emulator, proton_client, settle=SETTLE).environment_template("base")
    proton_faults.throttle(rate=1.0, operations=["GetEnvironmentTemplate"])
    checks: list[int] = []

    class Stop(Exception):
        pass

    async def check() -> None:
        checks.append(proton_emulator.requests.count(operation="GetEnvironmentTemplate"))
        if len(checks) == 3:
            raise Stop

    retry = RetryPolicy(max_attempts=10, initial_delay=0.01, max_delay=0.01)
    view = ClientWithOptions(proton_client, retry=retry, before_attempt=check)
    with pytest.raises(Stop):
        await view.get_environment_template(name="base")
    # Two throttled attempts, each after its check; the third check stopped the call
    # before anything more was sent.
    assert checks == [0, 1, 2]
    assert proton_emulator.requests.count(operation="GetEnvironmentTemplate") == 2


async def test_a_view_of_a_view_keeps_the_deadline_and_check_it_does_not_set(
    proton_client: aioproton.ProtonClient,
) -> None:
    from aioproton._client import ClientWithOptions

    async def check() -> None:
        pass

    timed = proton_client.with_options(deadline=3.0)
    checked = ClientWithOptions(timed, before_attempt=check)
    assert checked.deadline == 3.0
    assert checked.before_attempt is check
    assert checked.config.retry.max_elapsed == 3.0
    shorter = checked.with_options(deadline=1.0)
    assert shorter.deadline == 1.0
    assert shorter.before_attempt is check
