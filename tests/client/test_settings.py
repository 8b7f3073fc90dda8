"""Opening a client: bad settings give a ConfigurationError, settings are given one way,
and credentials are resolved per client (rotated keys are used by the next client)."""

from __future__ import annotations

import datetime
import logging
from pathlib import Path
from typing import Any

import attrs
import botocore.credentials
import pytest
from aiobotocore.credentials import AioRefreshableCredentials

import aioproton
from aioproton._transport import new_session
from aioproton.emulator import Emulator

from .conftest import FAST_RETRIES

KEYS = {"AKIDFIRST": "first-secret", "AKIDSECOND": "second-secret"}
ACCOUNTS = {"AKIDFIRST": "111111111111", "AKIDSECOND": "222222222222"}


@pytest.fixture
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS settings from the machine: empty shared files, no metadata service."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CA_BUNDLE",
        "AWS_USE_FIPS_ENDPOINT",
        "AWS_USE_DUALSTACK_ENDPOINT",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config").write_text("[profile other]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


KEYS_GIVEN = {"aws_access_key_id": "AKID", "aws_secret_access_key": "s3cr3t-value"}


@pytest.mark.parametrize(
    ("settings", "error", "code", "says"),
    [
        (
            {**KEYS_GIVEN, "endpoint_url": "http://127.0.0.1:1"},
            aioproton.ConfigurationError,
            "NoRegionError",
            "AWS_REGION",
        ),
        (
            {**KEYS_GIVEN, "region_name": "not a region!"},
            aioproton.ConfigurationError,
            "InvalidRegionError",
            "must look like 'us-east-1'",
        ),
        (
            {**KEYS_GIVEN, "region_name": "us-east-1", "endpoint_url": "not a url"},
            aioproton.ConfigurationError,
            "ValueError",
            "Invalid endpoint: not a url",
        ),
        (
            {**KEYS_GIVEN, "profile_name": "missing"},
            aioproton.ConfigurationError,
            "ProfileNotFound",
            "missing",
        ),
        (
            {"region_name": "us-east-1", "aws_access_key_id": "AKID"},
            aioproton.IncompleteCredentialsError,
            "PartialCredentialsError",
            "aws_secret_access_key is missing",
        ),
        (
            {**KEYS_GIVEN, "region_name": "us-east-1", "verify": "/nonexistent/ca.pem"},
            aioproton.ConfigurationError,
            "InvalidTLSSettings",
            "/nonexistent/ca.pem",
        ),
        (
            {**KEYS_GIVEN, "region_name": "us-isof-east-1", "use_dualstack_endpoint": True},
            aioproton.ConfigurationError,
            "EndpointVariantError",
            "dualstack",
        ),
    ],
)
async def test_bad_settings_raise_a_typed_error_on_open(
    clean_aws_env: Path,
    settings: dict[str, Any],
    error: type[aioproton.ProtonError],
    code: str,
    says: str,
) -> None:
    with pytest.raises(error, match=says) as caught:
        async with aioproton.ProtonClient(**settings):
            pass
    assert caught.value.code == code
    assert "s3cr3t-value" not in str(caught.value)
    assert caught.value.__cause__ is not None  # botocore's own exception, kept


async def test_partial_credentials_in_the_environment_are_a_typed_error(
    clean_aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDONLY")
    with pytest.raises(aioproton.IncompleteCredentialsError, match="AWS_SECRET_ACCESS_KEY"):
        async with aioproton.ProtonClient(region_name="us-east-1"):
            pass


async def test_no_credentials_fail_each_call_and_nothing_is_sent(clean_aws_env: Path) -> None:
    async with (
        Emulator() as emu,
        aioproton.ProtonClient(endpoint_url=emu.endpoint_url, region_name=emu.region) as proton,
    ):
        with pytest.raises(aioproton.CredentialsNotFoundError) as caught:
            await proton.get_account_settings()
        assert emu.requests.count() == 0
    assert caught.value.operation == "GetAccountSettings"


async def test_the_region_comes_from_the_profile(clean_aws_env: Path) -> None:
    async with Emulator(region="eu-west-1") as emu:
        settings = dict(emu.client_settings)
        del settings["region_name"]
        async with aioproton.ProtonClient(**settings, profile_name="other") as proton:
            await proton.get_account_settings()
    assert emu.requests.count(operation="GetAccountSettings") == 1


def test_config_and_individual_settings_do_not_mix() -> None:
    config = aioproton.ClientConfig(region_name="us-east-1")
    with pytest.raises(TypeError, match="region_name"):
        aioproton.ProtonClient(config=config, region_name="eu-west-1")
    with pytest.raises(TypeError, match="retry"):
        aioproton.ProtonClient(config=config, retry=None)
    with pytest.raises(TypeError, match="session= or profile_name="):
        aioproton.ProtonClient(profile_name="a", session=new_session())
    with pytest.raises(TypeError, match="credentials= or aws_access_key_id"):
        aioproton.ProtonClient(
            aws_access_key_id="AKID", credentials=botocore.credentials.Credentials("a", "b")
        )
    assert aioproton.ProtonClient(config=config).config is config
    assert aioproton.ProtonClient(region_name="eu-west-1").config == attrs.evolve(
        config, region_name="eu-west-1"
    )


async def test_a_new_client_signs_with_rotated_environment_credentials(
    clean_aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Emulator(auth="strict", credentials=KEYS, accounts=ACCOUNTS) as emu:
        arns = []
        for key in KEYS:
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEYS[key])
            async with aioproton.ProtonClient(
                endpoint_url=emu.endpoint_url, region_name=emu.region, retry=FAST_RETRIES
            ) as proton:
                template = await proton.create_environment_template(name=f"t-{key.lower()}")
                arns.append(template.arn)
    assert ":111111111111:" in arns[0]
    assert ":222222222222:" in arns[1]


async def test_a_new_client_signs_with_a_rotated_credentials_file(clean_aws_env: Path) -> None:
    async with Emulator(auth="strict", credentials=KEYS, accounts=ACCOUNTS) as emu:
        arns = []
        for key in KEYS:
            (clean_aws_env / "credentials").write_text(
                f"[default]\naws_access_key_id = {key}\naws_secret_access_key = {KEYS[key]}\n"
            )
            async with aioproton.ProtonClient(
                endpoint_url=emu.endpoint_url, region_name=emu.region
            ) as proton:
                arns.append((await proton.create_environment_template(name=f"f-{key}")).arn)
                raw = await proton.raw.get_environment_template(name=f"f-{key}")
                assert raw["environmentTemplate"]["arn"] == arns[-1]
    assert ":111111111111:" in arns[0]
    assert ":222222222222:" in arns[1]


async def test_a_callers_session_supplies_the_credentials(
    clean_aws_env: Path,
) -> None:
    async with Emulator(auth="strict", credentials=KEYS, accounts=ACCOUNTS) as emu:
        session = new_session()
        session.set_credentials("AKIDSECOND", KEYS["AKIDSECOND"])
        async with aioproton.ProtonClient(
            endpoint_url=emu.endpoint_url, region_name=emu.region, session=session
        ) as proton:
            template = await proton.create_environment_template(name="from-session")
    assert ":222222222222:" in template.arn


class CountingRefreshable(AioRefreshableCredentials):  # type: ignore[misc]
    asked = 0

    async def get_frozen_credentials(self) -> Any:
        type(self).asked += 1
        return await super().get_frozen_credentials()


async def test_refreshable_credentials_refresh_and_are_not_asked_while_fresh(
    clean_aws_env: Path,
) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)

    def refresh() -> dict[str, str]:
        return {
            "access_key": "AKIDSECOND",
            "secret_key": KEYS["AKIDSECOND"],
            "token": "",
            "expiry_time": (now + datetime.timedelta(hours=2)).isoformat(),
        }

    # Expiring within the mandatory refresh window: the first call must refresh.
    credentials = CountingRefreshable(
        "AKIDFIRST",
        KEYS["AKIDFIRST"],
        None,
        now + datetime.timedelta(minutes=5),
        refresh,
        "test",
    )
    strict = Emulator(auth="strict", credentials={"AKIDSECOND": KEYS["AKIDSECOND"]})
    async with (
        strict as emu,
        emu.client(
            aws_access_key_id=None, aws_secret_access_key=None, credentials=credentials
        ) as proton,
    ):
        for _ in range(5):
            await proton.get_account_settings()
    assert CountingRefreshable.asked == 1  # fresh for two hours: not asked again
    assert (await credentials.get_frozen_credentials()).access_key == "AKIDSECOND"


async def test_static_credentials_given_as_an_object(clean_aws_env: Path) -> None:
    async with Emulator(auth="strict", credentials=KEYS, accounts=ACCOUNTS) as emu:
        credentials = botocore.credentials.Credentials("AKIDFIRST", KEYS["AKIDFIRST"])
        async with aioproton.ProtonClient(
            endpoint_url=emu.endpoint_url, region_name=emu.region, credentials=credentials
        ) as proton:
            template = await proton.create_environment_template(name="static")
    assert ":111111111111:" in template.arn


async def test_the_raw_client_signs_with_the_same_credentials(clean_aws_env: Path) -> None:
    credentials = botocore.credentials.Credentials("AKIDSECOND", KEYS["AKIDSECOND"])
    strict = Emulator(auth="strict", credentials=KEYS, accounts=ACCOUNTS)
    async with (
        strict as emu,
        emu.client(
            aws_access_key_id=None, aws_secret_access_key=None, credentials=credentials
        ) as proton,
    ):
        raw = await proton.raw.create_environment_template(name="raw")
    assert ":222222222222:" in raw["environmentTemplate"]["arn"]


async def test_opening_logs_where_the_client_sends_and_how_it_signs(
    caplog: pytest.LogCaptureFixture, clean_aws_env: Path
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioproton.client")
    async with Emulator() as emu, emu.client(aws_session_token="t0ken-value"):
        endpoint_url = emu.endpoint_url
    (record,) = [r for r in caplog.records if r.getMessage() == "client opened"]
    assert record.endpoint == f"{endpoint_url}/"  # type: ignore[attr-defined]
    assert record.credentials == "explicit"  # type: ignore[attr-defined]
    assert record.proxy is None  # type: ignore[attr-defined]
    assert "t0ken-value" not in caplog.text


async def test_the_configured_proton_endpoint_is_used_unless_ignored(
    proton_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ENDPOINT_URL_PROTON names the endpoint as it does for any botocore client."""
    settings = dict(proton_emulator.client_settings)
    monkeypatch.setenv("AWS_ENDPOINT_URL_PROTON", settings.pop("endpoint_url"))
    async with aioproton.ProtonClient(**settings) as proton:
        assert not (await proton.list_environments()).environments
    assert proton_emulator.requests.count(operation="ListEnvironments") == 1
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    never = aioproton.RetryPolicy.never()
    async with aioproton.ProtonClient(**settings, retry=never, connect_timeout=0.5) as proton:
        with pytest.raises(aioproton.ProtonConnectionError, match=r"amazonaws\.com"):
            await proton.list_environments()  # AWS's endpoint: unreachable from here
    assert proton_emulator.requests.count(operation="ListEnvironments") == 1
