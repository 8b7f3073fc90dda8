"""The redaction filter keeps AWS secrets out of logs, botocore's DEBUG output included."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

import aioproton
from aioproton.emulator import Emulator
from aioproton.redaction import RedactSecrets, install_redaction, redact

ACCESS_KEY = "ASIAQWERTYUIOPASDFGH"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue+/=="


@pytest.fixture
def botocore_debug() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Two handlers on the root logger, botocore at DEBUG: one raw, one redacted."""
    raw, redacted = io.StringIO(), io.StringIO()
    raw_handler = logging.StreamHandler(raw)
    redacted_handler = logging.StreamHandler(redacted)
    redacted_handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    botocore_logger = logging.getLogger("botocore")
    previous = botocore_logger.level
    # The raw handler comes first: the filter rewrites the record for later handlers too.
    root.addHandler(raw_handler)
    root.addHandler(redacted_handler)
    botocore_logger.setLevel(logging.DEBUG)
    try:
        yield raw, redacted
    finally:
        botocore_logger.setLevel(previous)
        root.removeHandler(raw_handler)
        root.removeHandler(redacted_handler)


async def test_botocore_debug_output_never_shows_the_session_token(
    proton_emulator: Emulator, botocore_debug: tuple[io.StringIO, io.StringIO]
) -> None:
    raw, redacted = botocore_debug
    settings = dict(proton_emulator.client_settings)
    settings.update(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        aws_session_token=SESSION_TOKEN,
    )
    async with aioproton.ProtonClient(**settings) as proton:
        # Typed calls do not go through botocore; the raw aiobotocore client's do.
        await proton.raw.list_environments()
    # Without the filter, botocore logs the token and the signature at DEBUG.
    assert SESSION_TOKEN in raw.getvalue()
    assert "Signature=" in raw.getvalue()
    output = redacted.getvalue()
    assert "X-Amz-Security-Token" in output  # the records are there, their secrets are not
    assert SESSION_TOKEN not in output
    assert SESSION_TOKEN[:16] not in output
    assert SECRET not in output
    assert ACCESS_KEY not in output
    signature = raw.getvalue().split("Signature=")[1][:64]
    assert signature not in output


def test_arguments_exceptions_and_extra_fields_are_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("aioproton.tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("headers: %s", {"X-Amz-Security-Token": SESSION_TOKEN})
        logger.warning("env %s", f"AWS_SECRET_ACCESS_KEY={SECRET}", extra={"key": ACCESS_KEY})
        try:
            raise RuntimeError(f"aws_session_token={SESSION_TOKEN}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert SESSION_TOKEN not in output
    assert SECRET not in output
    assert "RuntimeError" in output
    assert output.count("[REDACTED]") >= 3


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            f"Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20261201/us-east-1/proton/"
            "aws4_request, SignedHeaders=host, Signature=" + "ab" * 32,
            "ab" * 32,
        ),
        (f"Credential={ACCESS_KEY}/20261201/us-east-1/proton/aws4_request", ACCESS_KEY),
        (f"x-amz-security-token:{SESSION_TOKEN}\nx-amz-target:X", SESSION_TOKEN),
        (f"{{'X-Amz-Security-Token': b'{SESSION_TOKEN}'}}", SESSION_TOKEN),
        (f"?X-Amz-Security-Token={SESSION_TOKEN}&X-Amz-Signature=abc", SESSION_TOKEN),
        ("Signature:\n" + "cd" * 32, "cd" * 32),
        (f'{{"SecretAccessKey": "{SECRET}", "SessionToken": "x"}}', SECRET),
        (f"aws_secret_access_key = {SECRET}", SECRET),
        (f"key {ACCESS_KEY} in use", ACCESS_KEY),
    ],
)
def test_each_form_of_secret_is_redacted(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_ordinary_text_is_left_alone() -> None:
    text = "GetEnvironment: InvalidSignatureException (HTTP 403): Signature expired"
    assert redact(text) == text


def test_install_adds_the_filter_to_every_handler_once() -> None:
    logger = logging.getLogger("aioproton.tests.install")
    handlers = [logging.StreamHandler(io.StringIO()), logging.StreamHandler(io.StringIO())]
    for handler in handlers:
        logger.addHandler(handler)
    try:
        install_redaction(logger)
        install_redaction(logger)
        for handler in handlers:
            assert [type(f) for f in handler.filters] == [RedactSecrets]
    finally:
        for handler in handlers:
            logger.removeHandler(handler)


def test_the_cli_installs_the_filter_where_it_configures_logging(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aioproton.cli import _main

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in ("aioproton", "botocore")}
    root.handlers.clear()
    try:
        _main._logging(debug=True)
        assert root.handlers
        assert all(
            any(isinstance(f, RedactSecrets) for f in handler.filters) for handler in root.handlers
        )
        logging.getLogger("botocore.endpoint").warning(
            "Sending http request: %s", {"X-Amz-Security-Token": SESSION_TOKEN}
        )
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    err = capsys.readouterr().err
    assert "X-Amz-Security-Token" in err
    assert SESSION_TOKEN not in err


def test_a_record_whose_arguments_do_not_fit_is_redacted_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("aioproton.tests.badformat")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("%d requests with %s", "many", {"SessionToken": SESSION_TOKEN})
        logger.warning("after: %s", f"aws_session_token={SESSION_TOKEN}")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue() + capsys.readouterr().err  # handleError writes to stderr
    assert SESSION_TOKEN not in output
    assert "%d requests with %s (arguments that do not fit: ('many', {'SessionToken'" in output
    assert "after: aws_session_token=[REDACTED]" in output
