"""Observer hooks: what they are told, how several compose, and that a raising one is harmless."""

from __future__ import annotations

from typing import Any

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.observe import NO_OBSERVERS, Observer
from aioproton.testing import ProtonFaults
from aioproton.workflow import AdaptiveRateLimiter, IdempotentCalls, Rollout, Waiters

from .support import MANIFEST, TEMPLATE_FILE, collecting, environment, template


class Record(Observer):
    """Keeps (hook, event) for every hook it is told about."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("on_"):
            return lambda event: self.seen.append((name, event))
        return super().__getattribute__(name)

    def hooks(self, name: str) -> list[Any]:
        return [event for hook, event in self.seen if hook == name]


class Broken(Observer):
    def on_attempt(self, event: Any) -> None:
        raise RuntimeError("a bug in a metrics exporter")


async def test_client_hooks_tell_attempts_retries_and_the_end_to_every_observer(
    proton_emulator: Emulator, proton_faults: ProtonFaults, proton_clock: ManualClock
) -> None:
    first, second = Record(), Record()
    limiter = AdaptiveRateLimiter(rate=20, clock=proton_clock)
    async with proton_emulator.client(
        clock=proton_clock, observers=[first, Broken(), second], rate_limiter=limiter
    ) as proton:
        with collecting() as log:
            proton_faults.throttle(1)
            await proton.create_environment_template(name="base")
            proton_faults.throttle(1)
            await proton.get_environment_template(name="base")
    for observer in (first, second):
        assert [e.operation for e in observer.hooks("on_call_start")] == [
            "CreateEnvironmentTemplate",
            "GetEnvironmentTemplate",
        ]
        assert [(e.attempt, e.error is None) for e in observer.hooks("on_attempt_end")] == [
            (1, False),
            (2, True),
        ] * 2
        assert [e.error.code for e in observer.hooks("on_retry")] == ["ThrottlingException"] * 2
        assert [(e.attempts, e.error) for e in observer.hooks("on_call_end")] == [(2, None)] * 2
        assert all(e.seconds >= 0 for e in observer.hooks("on_call_end"))
        assert observer.hooks("on_rate_change")[0].rate < 20
    broken = log.named("aioproton.observe")
    assert len(broken) == 1  # four failing calls of one hook, logged once
    assert broken[0].levelname == "WARNING" and broken[0].hook == "on_attempt"
    slowed = [r for r in log.named("aioproton.client") if r.levelname == "WARNING"]
    assert slowed and slowed[0].rate < slowed[0].previous_rate


async def test_workflow_hooks_tell_polls_changes_requests_and_rollout_items(
    proton_emulator: Emulator, proton_faults: ProtonFaults, proton_clock: ManualClock
) -> None:
    seen = Record()
    async with proton_emulator.client(clock=proton_clock) as proton:
        await template(proton_emulator, proton, minors=2)
        await environment(proton_emulator, proton, "prod")
        calls = IdempotentCalls(clock=proton_clock, observers=[seen])
        proton_faults.drop_after_commit(1.0, operations=["CreateComponent"])
        await calls.call(
            "key/web",
            proton.create_component,
            name="web",
            environment_name="prod",
            manifest=MANIFEST,
            template_file=TEMPLATE_FILE,
        )
        proton_faults.clear()
        await Waiters(proton, observers=[seen]).component_deployed("web", timeout=3600)
        report = await Rollout(
            proton, environment_template="base", version="1.1", observers=[seen]
        ).run()
    assert report.ok
    [started] = seen.hooks("on_request_start")[:1]
    assert (started.operation, started.key) == ("CreateComponent", "key/web")
    assert [e.verdict for e in seen.hooks("on_reconcile")][:1] == ["MATCH"]
    ends = seen.hooks("on_request_end")
    assert ends[0].error is None and ends[0].attempts == 1
    waits = seen.hooks("on_wait_start")
    assert waits[0].waiter == "ComponentDeployed"
    changes = [e.change for e in seen.hooks("on_state_change") if e.wait is waits[0].wait]
    assert [c.status for c in changes] == ["IN_PROGRESS", "SUCCEEDED"]
    polls = [e for e in seen.hooks("on_poll") if e.wait is waits[0].wait]
    assert len(polls) >= 2 and polls[-1].status == "SUCCEEDED"
    [ended] = [e for e in seen.hooks("on_wait_end") if e.wait is waits[0].wait]
    assert (ended.status, ended.error) == ("SUCCEEDED", None)
    [rollout] = seen.hooks("on_rollout_start")
    assert (rollout.template, rollout.version, rollout.items) == ("base", "1.1", 1)
    [item] = seen.hooks("on_rollout_item")
    assert (item.target, item.status, item.error) == ("environment/prod", "UPDATED", None)
    assert item.deployment_id
    [done] = seen.hooks("on_rollout_end")
    assert done.ok


async def test_without_observers_every_layer_shares_the_one_empty_set(
    proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    async with proton_emulator.client(clock=proton_clock) as proton:
        assert proton.observers is NO_OBSERVERS and not proton.observers
        assert Waiters(proton).observers is NO_OBSERVERS
        assert aioproton.ProtonClient(observers=[]).observers is NO_OBSERVERS
        await proton.list_environments()
