"""botocore and aiobotocore code the transport relies on or mirrors, pinned by hash.

The transport reads botocore's credentials (including the private ``_expiry_time`` and
``_advisory_refresh_timeout`` of refreshable credentials), its endpoint ruleset, proxy
and CA-bundle helpers, and re-implements its JSON 1.0 request, SigV4 signature, error
parsing and aiohttp failure mapping. When an upgrade changes any of these functions,
a test here fails until someone has read the change, rerun the differential tests
(``test_transport_*``) and updated the hash (as aiobotocore's ``tests/test_patches.py``
does). The remaining tests assert that what the transport relies on took effect.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import inspect
import json
import time
from pathlib import Path

import botocore.credentials
import botocore.loaders
import pytest

import aioproton
from aioproton import _service_model
from aioproton._transport._credentials import CredentialCache, _fresh_until
from aioproton.emulator import Emulator

PINNED = (
    ("botocore.parsers:ResponseParser.parse", "c2153eac3789855f4fc6a816a1f30a6afe0cf969"),
    (
        "botocore.parsers:ResponseParser._is_generic_error_response",
        "5836b7c89ea0e7d72d990c89289fc0690acac958",
    ),
    (
        "botocore.parsers:ResponseParser._do_generic_error_parse",
        "79a8cf46020b8811e91eee3304a789fde20cbdd2",
    ),
    ("botocore.parsers:BaseJSONParser._do_error_parse", "729dd2e58a07f239647218750db6d26a70c44620"),
    (
        "botocore.parsers:BaseJSONParser._inject_response_metadata",
        "0ae265c14eb6521c37f42144578fe97281176ecf",
    ),
    (
        "botocore.parsers:BaseJSONParser._parse_body_as_json",
        "31a38b90187b535021ffd1b163807672314549c0",
    ),
    ("botocore.auth:SigV4Auth.add_auth", "3dc848e82087529461087e1a1b09a4a7e61c7aa7"),
    ("botocore.auth:SigV4Auth.headers_to_sign", "b748d11abda1ff2b3c07992b9893bb60df182f75"),
    ("botocore.auth:SigV4Auth.canonical_request", "a2f91818c4a7bf71c4b8bc63b2a137ac186bba6a"),
    ("botocore.auth:SigV4Auth.canonical_headers", "d6880496840e75e7a60b8eeca39398104bac55f3"),
    ("botocore.auth:SigV4Auth.payload", "a723b3443e3cfb0d63687e16c1fdb39b5027bfc1"),
    (
        "botocore.auth:SigV4Auth._should_sha256_sign_payload",
        "9c100090c068b85a0c1eaa7009dd7eb74d147298",
    ),
    ("botocore.auth:SigV4Auth.string_to_sign", "1d151c224c7aa31260c67c5a983311d8d912befa"),
    ("botocore.auth:SigV4Auth.signature", "542b6beab215a6d0f3485231394e0bd05da50a85"),
    (
        "botocore.auth:SigV4Auth._modify_request_before_signing",
        "7cb38f189f1a18aaef271e3d570eb3bac0b34a6f",
    ),
    (
        "botocore.auth:SigV4Auth._inject_signature_to_request",
        "2ed505be62765070e6088199da3ee8e0088f8ada",
    ),
    (
        "botocore.serialize:JSONSerializer.serialize_to_request",
        "d42f32b670f839bf6efbc4679587ddb4927b5265",
    ),
    ("botocore.awsrequest:_urljoin", "4ef95eb7a811d69658141bfed7f5427b51c51f45"),
    (
        "botocore.handlers:add_recursion_detection_header",
        "f2d983caa36766a39052215fe16c514c06e597ef",
    ),
    ("botocore.handlers:add_retry_headers", "5dc5dbe33c2c43ebb9808c5b8e213380652b6f0b"),
    (
        "botocore.args:ClientArgsCreator.compute_endpoint_resolver_builtin_defaults",
        "c814e87fc8bf56af3c2c684c1ca67529171243a7",
    ),
    (
        "botocore.regions:EndpointResolver.construct_endpoint",
        "abfa9cfffb9bf0a850b92782ff1f4101a61cc9a4",
    ),
    (
        "botocore.endpoint_provider:EndpointProvider.resolve_endpoint",
        "88ebf28aec521e48b33c83cccb72f57bb64aedd4",
    ),
    (
        "botocore.credentials:RefreshableCredentials.__init__",
        "79a9bdf31f280096bd5a7ea211cc6e527f99e2da",
    ),
    (
        "botocore.credentials:RefreshableCredentials.refresh_needed",
        "ed8a9c1d4f65767fb89cae8d3a34edf73a1b679b",
    ),
    (
        "botocore.credentials:RefreshableCredentials._seconds_remaining",
        "6fd90637312c36d637a397bcc0e5c0a9f1951eb5",
    ),
    (
        "botocore.credentials:RefreshableCredentials._set_from_data",
        "d221e5d97e00d933e9ed5b1b80e0d7d221a8b0a8",
    ),
    (
        "aiobotocore.credentials:AioRefreshableCredentials._refresh",
        "67e7ed7b1cc44abf4d745e2714dedd7457572dd8",
    ),
    (
        "aiobotocore.credentials:AioRefreshableCredentials.get_frozen_credentials",
        "822fbcdd88036b1e6a59542d877bae7237a0c9f4",
    ),
    (
        "botocore.httpsession:ProxyConfiguration.proxy_url_for",
        "2e83e7e7f290f0b0db700936c7e9d305e9c17044",
    ),
    (
        "botocore.httpsession:ProxyConfiguration.proxy_headers_for",
        "697a366f4d43514579dad8d92c60817f080ed70e",
    ),
    ("botocore.httpsession:get_cert_path", "dba81c0de908bc645a29bd30d4d55101a6597442"),
    ("botocore.utils:get_environ_proxies", "ab4997d1737f23011ac63ef3b74fab30f6d84a2e"),
    ("botocore.utils:validate_region_name", "f4f226a08d43bf919dab13097a14d7fdc29c1471"),
    ("botocore.utils:is_valid_endpoint_url", "ef8800434dc473ee11c565ce3b7324e709d4c489"),
    ("aiobotocore.httpsession:AIOHTTPSession.send", "28c1cd8009ba0e6c65117939c0e64ba6e428eef6"),
    ("botocore.useragent:UserAgentString.to_string", "9eba9b66963d3756b57504fb29b71bed1ce1496e"),
    # aioproton._service_model.load() mirrors load_service_model (pinned below) and this.
    ("botocore.loaders:Loader._find_extras", "b8c0404d7912eab23e528b93de9aaf892c4370ba"),
    # AWS_ENDPOINT_URL_PROTON and the profile's services section (private upstream).
    (
        "botocore.configprovider:ConfiguredEndpointProvider",
        "6f0e8f36f20e92f0e9449d989b0108c0c4e73715",
    ),
)


def _resolve(path: str) -> object:
    module_name, _, qualname = path.partition(":")
    value: object = importlib.import_module(module_name)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize(("path", "digest"), PINNED)
def test_upstream_code_is_unchanged(path: str, digest: str) -> None:
    source = inspect.getsource(_resolve(path))  # type: ignore[arg-type]
    assert hashlib.sha1(source.encode()).hexdigest() == digest, (
        f"{path} changed upstream: read the change, rerun tests/client/test_transport_*, "
        "then update its hash here"
    )


def test_the_model_loader_mirrored_by_load_is_unchanged() -> None:
    # ``load_service_model`` is wrapped by botocore's ``instance_cache``: pin the original.
    wrapper = botocore.loaders.Loader.load_service_model
    original = next(
        cell.cell_contents
        for cell in wrapper.__closure__ or ()
        if inspect.isfunction(cell.cell_contents)
    )
    assert original.__name__ == "load_service_model"
    source = inspect.getsource(original)
    assert (
        hashlib.sha1(source.encode()).hexdigest() == "6167b7ad55cdd646eaeb38b734fa92071b093d45"
    ), (
        "botocore.loaders:Loader.load_service_model changed upstream: read the change, "
        "check aioproton._service_model.load() still mirrors it, then update its hash here"
    )


@pytest.mark.parametrize(
    "type_name", ["service-2", "paginators-1", "waiters-2", "endpoint-rule-set-1"]
)
def test_load_reads_what_botocore_loads(type_name: str) -> None:
    expected = botocore.loaders.create_loader().load_service_model(
        _service_model.SERVICE_NAME, type_name, _service_model.API_VERSION
    )
    assert _service_model.load(type_name) == expected


def test_load_applies_model_extras_and_honours_a_customer_model(tmp_path: Path) -> None:
    # A model under a search path ahead of botocore's wins, with its sdk-extras merged,
    # exactly as botocore's loader does it.
    folder = tmp_path / _service_model.SERVICE_NAME / _service_model.API_VERSION
    folder.mkdir(parents=True)
    model = {"version": "2.0", "metadata": {"targetPrefix": "Custom"}, "shapes": {}}
    (folder / "service-2.json").write_text(json.dumps(model))
    extras = {"merge": {"metadata": {"serviceId": "Extra"}}}
    (folder / "service-2.sdk-extras.json").write_text(json.dumps(extras))
    loader = botocore.loaders.create_loader(str(tmp_path))
    expected = loader.load_service_model(
        _service_model.SERVICE_NAME, "service-2", _service_model.API_VERSION
    )
    assert expected["metadata"] == {"targetPrefix": "Custom", "serviceId": "Extra"}
    assert _service_model.load("service-2", loader) == expected


def test_the_signed_header_exclusions_are_what_the_signer_assumes() -> None:
    import botocore.auth

    # The signer signs exactly content-type, host, x-amz-date, x-amz-security-token and
    # x-amz-target; user-agent and x-amzn-trace-id must stay unsigned.
    assert {"user-agent", "x-amzn-trace-id"} <= set(botocore.auth.SIGNED_HEADERS_BLACKLIST)
    assert not {"content-type", "host", "x-amz-date", "x-amz-target"} & set(
        botocore.auth.SIGNED_HEADERS_BLACKLIST
    )


def test_refreshable_credentials_expose_what_the_cheap_check_reads() -> None:
    expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    credentials = botocore.credentials.RefreshableCredentials(
        "AKID", "secret", None, expiry, dict, "test"
    )
    fresh_until = _fresh_until(credentials)
    assert fresh_until == pytest.approx(expiry.timestamp() - credentials._advisory_refresh_timeout)
    assert time.time() < fresh_until < expiry.timestamp()  # the fast path is taken
    assert _fresh_until(botocore.credentials.Credentials("AKID", "secret")) == float("inf")


async def test_the_cache_skips_botocore_while_fresh() -> None:
    asked = 0

    class Counting(botocore.credentials.Credentials):  # type: ignore[misc]
        def get_frozen_credentials(self) -> botocore.credentials.ReadOnlyCredentials:
            nonlocal asked
            asked += 1
            return super().get_frozen_credentials()

    cache = CredentialCache(Counting("AKID", "secret", "token"))
    first = await cache.frozen()
    assert await cache.frozen() is first
    assert asked == 1
    assert (first.access_key, first.secret_key, first.token) == ("AKID", "secret", "token")


async def test_typed_calls_never_create_a_botocore_client() -> None:
    async with Emulator() as emu, emu.client() as proton:
        await proton.get_account_settings()
        await proton.list_environments()
        assert proton._raw is not None and proton._raw._client is None
        raw = await proton.raw_client()
        assert type(raw).__module__.startswith("aiobotocore")
        # A stock client: botocore's own parser class, no aioproton subclass.
        parser = raw._response_parser
        assert type(parser).__module__.startswith(("botocore", "aiobotocore"))
    assert isinstance(proton, aioproton.ProtonClient)
