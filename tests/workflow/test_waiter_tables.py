"""The hand-written verdict tables give every botocore acceptor the same meaning.

botocore's waiter definitions (``WAITERS``, generated) are the service team's statement
of each waiter's final states; aioproton's tables add states botocore leaves polling,
but must not drop or contradict one of botocore's.
"""

from __future__ import annotations

import inspect

import pytest
from botocore import xform_name

from aioproton._facts import Acceptor
from aioproton._generated.facts import WAITERS
from aioproton.workflow import Waiters
from aioproton.workflow.states import WaitVerdict
from aioproton.workflow.waiter import Probe

FAILING = {
    WaitVerdict.FAILED,
    WaitVerdict.CANCELLED,
    WaitVerdict.DELETE_FAILED,
    WaitVerdict.REGISTRATION_FAILED,
}


def probe_for(waiters: Waiters, name: str) -> Probe[object]:
    """The probe of the aioproton waiter named like botocore's ``name`` (nothing is sent)."""
    method = getattr(waiters, xform_name(name))
    positional = [
        parameter
        for parameter in inspect.signature(method).parameters.values()
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    waiter = method(*(f"{p.name}-value" for p in positional), timeout=60)
    probe: Probe[object] = waiter.probe
    return probe


def meaning(probe: Probe[object], acceptor: Acceptor) -> str:
    """What aioproton does when ``acceptor`` matches: success, failure or retry."""
    if acceptor.matcher == "error" and acceptor.expected == "ResourceNotFoundException":
        return "success" if probe.gone_is_success else "failure"
    assert acceptor.matcher == "path", f"no rule for {acceptor} yet: extend this test"
    table = {getattr(status, "value", status): v for status, v in probe.verdicts.items()}
    verdict = table.get(str(acceptor.expected), WaitVerdict.PENDING)
    if verdict is WaitVerdict.SUCCESS:
        return "success"
    return "failure" if verdict in FAILING else "retry"


@pytest.mark.parametrize("name", sorted(WAITERS))
async def test_every_botocore_acceptor_has_the_same_verdict(
    name: str, proton_waiters: Waiters
) -> None:
    facts = WAITERS[name]
    probe = probe_for(proton_waiters, name)
    assert (probe.name, probe.operation) == (facts.name, facts.operation)
    for acceptor in facts.acceptors:
        assert meaning(probe, acceptor) == acceptor.state, acceptor
