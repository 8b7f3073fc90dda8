"""What the whole suite did, read at the end (``conftest.py`` runs these tests last).

They only hold when the whole of ``tests/conformance`` ran: they sum up the other tests.
"""

from __future__ import annotations

import pytest

from ._support import ERROR_STATUS, Control, ResponseChecker, operation_names

pytestmark = pytest.mark.slow


def test_boto3_called_every_operation_successfully(
    checker: ResponseChecker, control: Control
) -> None:
    """From the emulator's request log: the set of operations boto3 got a 200 for is the model's."""
    records = {record.request_id: record for record in control.requests()}
    boto3_ids = {exchange.request_id for exchange in checker.exchanges}
    succeeded = {
        record.operation
        for request_id, record in records.items()
        if request_id in boto3_ids and record.status == 200
    }
    assert len(operation_names()) == 87
    assert sorted(operation_names() - succeeded) == []
    assert succeeded == operation_names()


def test_the_log_agrees_with_what_boto3_received(
    checker: ResponseChecker, control: Control
) -> None:
    """Every response boto3 parsed is the one the emulator logged, status and operation."""
    records = {record.request_id: record for record in control.requests()}
    assert checker.exchanges
    mismatched = [
        (exchange, records.get(exchange.request_id or ""))
        for exchange in checker.exchanges
        if (record := records.get(exchange.request_id or "")) is None
        or (record.operation, record.status, record.error_code)
        != (exchange.operation, exchange.status, exchange.error_code)
    ]
    assert mismatched == []


def test_no_server_error_but_the_injected_ones(control: Control) -> None:
    """Whoever asked (boto3 or the CLI), the emulator never failed on its own.

    With ``--check-responses`` a response that breaks the model would be a 500.
    """
    records = control.requests()
    assert records
    failures = [r for r in records if isinstance(r.status, int) and r.status >= 500]
    assert [r for r in failures if r.fault is None] == []
    assert {r.fault for r in failures} <= {"error"}


def test_no_response_broke_the_model(checker: ResponseChecker) -> None:
    assert len(checker.exchanges) > len(operation_names())
    assert checker.violations == []


def test_every_request_id_is_unique(checker: ResponseChecker) -> None:
    ids = [exchange.request_id for exchange in checker.exchanges]
    assert None not in ids
    assert len(set(ids)) == len(ids)


def test_every_modelled_error_reached_boto3(checker: ResponseChecker) -> None:
    """Each of the seven Proton errors came back, with its status, at least once."""
    seen = {(e.error_code, e.status) for e in checker.exchanges if e.error_code is not None}
    assert seen >= set(ERROR_STATUS.items())
