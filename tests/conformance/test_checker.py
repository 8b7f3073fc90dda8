"""The client-side response checker catches what it is there to catch.

It is what proves every other response conforms, so it must fail on bad ones: these
tests hand it responses the service would never send.
"""

from __future__ import annotations

import json
from typing import Any

from aioproton import _service_model

from ._support import ResponseChecker, check_response

JSON = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "r-1"}
TEMPLATE = {
    "arn": "arn:aws:proton:us-east-1:123456789012:environment-template/base",
    "name": "base",
    "createdAt": 1700000000.5,
    "lastModifiedAt": 1700000000.5,
}


def _check(operation: str, status: int, body: Any, headers: dict[str, str] = JSON) -> list[str]:
    model = _service_model.operation_model(operation)
    return check_response(model, status, headers, json.dumps(body).encode())


def test_a_valid_response_passes() -> None:
    assert _check("GetEnvironmentTemplate", 200, {"environmentTemplate": TEMPLATE}) == []
    assert _check("TagResource", 200, {}) == []


def test_missing_required_members_and_string_timestamps_fail() -> None:
    broken = {**TEMPLATE, "createdAt": "2023-11-14T22:13:20Z"}
    del broken["arn"]
    problems = _check("GetEnvironmentTemplate", 200, {"environmentTemplate": broken})
    assert any("environmentTemplate.arn: required but missing" in p for p in problems)
    assert any("environmentTemplate.createdAt: expected a number" in p for p in problems)


def test_unknown_members_nulls_and_bad_enums_fail() -> None:
    body = {
        "environmentTemplate": {**TEMPLATE, "colour": "blue", "description": None},
    }
    problems = _check("GetEnvironmentTemplate", 200, body)
    assert any("colour: unknown member" in p for p in problems)
    assert any("description: null" in p for p in problems)
    version = {"status": "SHINY"}
    problems = _check("GetEnvironmentTemplateVersion", 200, {"environmentTemplateVersion": version})
    assert any("'SHINY' is not one of" in p for p in problems)


def test_headers_are_checked() -> None:
    problems = _check(
        "GetEnvironmentTemplate",
        200,
        {"environmentTemplate": TEMPLATE},
        {"Content-Type": "application/json"},
    )
    assert "no x-amzn-RequestId header" in problems
    assert any("content type 'application/json'" in p for p in problems)


def test_error_bodies_need_type_message_and_the_right_status() -> None:
    good = {"__type": "ResourceNotFoundException", "message": "gone"}
    headers = {**JSON, "x-amzn-ErrorType": "ResourceNotFoundException"}
    assert _check("GetEnvironment", 404, good, headers) == []
    problems = _check("GetEnvironment", 400, {**good, "code": 7}, headers)
    assert any("error body members" in p for p in problems)
    assert any("came with HTTP 400, expected 404" in p for p in problems)
    missing_header = _check("GetEnvironment", 404, good)
    assert any("x-amzn-ErrorType" in p for p in missing_header)
    unmodelled = {"__type": "ServiceQuotaExceededException", "message": "no"}
    problems = _check(
        "GetEnvironment", 402, unmodelled, {**JSON, "x-amzn-ErrorType": unmodelled["__type"]}
    )
    assert problems == [
        "error 'ServiceQuotaExceededException' is not one of GetEnvironment's errors"
    ]


def test_the_checker_records_exchanges_and_violations() -> None:
    checker = ResponseChecker()
    model = _service_model.operation_model("GetEnvironmentTemplate")
    checker.on_response(
        operation_model=model,
        response_dict={"headers": JSON, "status_code": 200, "body": b'{"environmentTemplate":{}}'},
    )
    assert [e.operation for e in checker.exchanges] == ["GetEnvironmentTemplate"]
    assert checker.exchanges[0].request_id == "r-1"
    assert len(checker.violations) == 4  # arn, name, createdAt, lastModifiedAt
    assert all(v.startswith("GetEnvironmentTemplate (HTTP 200): ") for v in checker.violations)
