"""Log records of every layer, under injected faults, with the fields a JSON formatter uses."""

from __future__ import annotations

import logging

import pytest

import aioproton
from aioproton import _logfields as F
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas
from aioproton.observe import AttemptEnded, Observer
from aioproton.testing import ProtonFaults
from aioproton.workflow import DurableRetry, IdempotentCalls, Waiters

from .support import MANIFEST, TEMPLATE_FILE, collecting, environment, template


class ClearAfterFirstServerError(Observer):
    """One 500, then a healthy service: what the issue's scenario injected."""

    def __init__(self, faults: ProtonFaults) -> None:
        self.faults = faults

    def on_attempt_end(self, event: AttemptEnded) -> None:
        if event.error is not None and event.error.http_status == 500:
            self.faults.clear()


def levels(records: list[logging.LogRecord]) -> set[str]:
    return {r.levelname for r in records}


async def test_reads_creates_an_update_and_a_wait_under_faults_leave_structured_records(
    proton_emulator: Emulator, proton_faults: ProtonFaults, proton_clock: ManualClock
) -> None:
    observer = ClearAfterFirstServerError(proton_faults)
    async with proton_emulator.client(clock=proton_clock, observers=[observer]) as proton:
        await template(proton_emulator, proton, minors=2)
        await environment(proton_emulator, proton, "prod")
        calls = IdempotentCalls(clock=proton_clock)
        with collecting() as log:
            for index in range(10):
                if index < 9:  # nine throttles, spread so that every read gets through
                    proton_faults.throttle(1, operations=["GetEnvironmentTemplate"])
                await proton.get_environment_template(name="base")
            proton_faults.clear()
            proton_faults.drop_after_commit(1.0, operations=["CreateComponent"])
            for index in range(5):
                await calls.call(
                    f"release-1/component/c{index}",
                    proton.create_component,
                    name=f"c{index}",
                    environment_name="prod",
                    manifest=MANIFEST,
                    template_file=TEMPLATE_FILE,
                )
            proton_faults.clear()
            proton_faults.server_errors(1.0, operations=["UpdateEnvironment"])
            await calls.call(
                "release-1/environment/prod",
                proton.update_environment,
                name="prod",
                deployment_type="MINOR_VERSION",
                template_major_version="1",
                template_minor_version="1",
            )
            assert proton_faults.settings.error_rate == 0  # the observer cleared the 500
            proton_faults.throttle(2, operations=["GetEnvironment"])
            await Waiters(proton).environment_deployed("prod", timeout=3600)

    client = log.named("aioproton.client")
    attempts = [r for r in client if r.levelno == logging.DEBUG and hasattr(r, F.MAX_ATTEMPTS)]
    assert {r.operation for r in attempts} >= {
        "GetEnvironmentTemplate",
        "CreateComponent",
        "UpdateEnvironment",
        "GetEnvironment",
    }
    throttled = [r for r in client if getattr(r, F.ERROR_CODE, None) == "ThrottlingException"]
    assert len(throttled) == 11
    assert all(r.levelname == "DEBUG" and r.delay >= 0 and r.retry_safe for r in throttled)
    dropped = [r for r in client if r.operation == "CreateComponent" and hasattr(r, F.DELAY)]
    assert dropped and all(r.levelname == "INFO" and r.ambiguous for r in dropped)

    idempotency = log.named("aioproton.workflow.idempotency")
    verdicts = [r for r in idempotency if hasattr(r, F.VERDICT)]
    assert {r.idempotency_key for r in verdicts if r.operation == "CreateComponent"} == {
        f"release-1/component/c{index}" for index in range(5)
    }
    assert all(r.levelname == "INFO" for r in verdicts)
    assert {r.verdict for r in verdicts if r.operation == "CreateComponent"} == {"MATCH"}
    update = [r for r in idempotency if r.operation == "UpdateEnvironment"]
    assert update and update[0].idempotency_key == "release-1/environment/prod"
    assert update[0].error_code == "InternalServerException"

    waiter = log.named("aioproton.workflow.waiter")
    changes = [r for r in waiter if r.levelname == "INFO"]
    assert [r.status for r in changes] == ["IN_PROGRESS", "SUCCEEDED"]
    assert all(r.target_arn and r.target_arn.endswith(":environment/prod") for r in changes)
    assert all(r.deployment_id for r in changes)
    polls = [r for r in waiter if r.levelname == "DEBUG"]
    assert len(polls) >= len(changes)
    # Nothing the caller receives as an exception is logged as an error.
    assert "ERROR" not in levels(log.records) and "CRITICAL" not in levels(log.records)
    # Every record of these layers names the operation or the wait it is about.
    for record in client + idempotency + waiter:
        assert vars(record).get(F.OPERATION) or vars(record).get(F.WAITER), record.getMessage()


async def test_a_dropped_create_during_a_quota_error_is_logged_within_one_retry(
    proton_emulator: Emulator, proton_faults: ProtonFaults, proton_clock: ManualClock
) -> None:
    async with proton_emulator.client(
        clock=proton_clock, retry=aioproton.RetryPolicy(max_attempts=1)
    ) as proton:
        await template(proton_emulator, proton)
        await environment(proton_emulator, proton, "prod")
        # The service refuses every component (quota), and its answers are lost.
        proton_emulator.backend.quotas = Quotas(components=0)
        proton_faults.drop_after_commit(1.0, operations=["CreateComponent"])
        calls = IdempotentCalls(clock=proton_clock, retry=DurableRetry(max_attempts=2))
        with collecting() as log, pytest.raises(aioproton.ProtonError):
            await calls.call(
                "release-7/component/web",
                proton.create_component,
                name="web",
                environment_name="prod",
                manifest=MANIFEST,
                template_file=TEMPLATE_FILE,
            )
    told = [
        r
        for r in log.named("aioproton.workflow.idempotency")
        if r.levelno >= logging.INFO and getattr(r, F.ATTEMPT, None) == 1
    ]
    assert told, "the first attempt's fate must be logged before the second one"
    assert all(r.idempotency_key == "release-7/component/web" for r in told)
    assert {r.error_code for r in told} == {"ConnectionError"}
    assert {getattr(r, F.VERDICT, None) for r in told} >= {"ABSENT"}
    resend = [r for r in told if hasattr(r, F.DELAY)]
    assert resend and "outcome was unclear" in resend[0].getMessage()
