"""Opening a transport from a client's settings, as botocore would read them.

Region, FIPS/dual-stack, CA bundle and credentials come from the settings first and
from the botocore session (environment, profile, credential chain) otherwise; whatever
cannot work is a :class:`~aioproton.errors.ConfigurationError` saying what to change.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import TYPE_CHECKING, Any

import botocore.configprovider
import botocore.credentials
import botocore.exceptions
import botocore.session
from botocore.httpsession import mask_proxy_url

from .. import _service_model
from .._config import ClientConfig
from .._generated.facts import TARGET_PREFIX
from ..errors import ConfigurationError, translate_configuration_error
from ._credentials import CredentialCache
from ._endpoint import resolve
from ._http import Transport
from ._useragent import user_agent

if TYPE_CHECKING:
    from aiobotocore.session import AioSession

logger = logging.getLogger("aioproton.client")


_session_lock = threading.Lock()


def new_session(profile_name: str | None = None) -> AioSession:
    """A botocore session sharing the process-wide loader (so the model is parsed once)."""
    from aiobotocore.session import AioSession

    session = AioSession(profile=profile_name)
    session.register_component("data_loader", _service_model.loader())
    return session


@functools.cache
def settings_session(profile_name: str | None) -> botocore.session.Session:
    """One session per profile for the process, to read settings (environment, profile)
    from: without the 120 or so event handlers a client needs (about 4 ms to register),
    and without aiobotocore, which only the credential chain needs."""
    with _session_lock:
        session = botocore.session.Session(profile=profile_name, include_builtin_handlers=False)
        session.register_component("data_loader", _service_model.loader())
        return session


@functools.cache
def chain_session(profile_name: str | None) -> AioSession:
    """One full session per profile for the credential chain (its providers create
    clients, such as STS for an assumed role). Credentials are never taken from its
    cache: each client runs the chain afresh, so rotated keys are seen."""
    with _session_lock:
        return new_session(profile_name)


async def open_transport(
    config: ClientConfig, session: AioSession | None, credentials: Any
) -> Transport:
    """An open transport for ``config``.

    ``session`` is the caller's (its credentials are used as it resolves them) or
    ``None`` (the process's shared session for the profile; the credential chain runs
    afresh, so rotated keys are seen). ``credentials`` (optional) replaces the chain.
    """
    settings = session if session is not None else settings_session(config.profile_name)
    try:
        region = config.region_name or settings.get_config_variable("region")
        use_fips = _setting(config.use_fips_endpoint, settings, "use_fips_endpoint")
        use_dualstack = _setting(config.use_dualstack_endpoint, settings, "use_dualstack_endpoint")
        verify = config.verify
        if verify is None:
            verify = settings.get_config_variable("ca_bundle") or True
        endpoint = resolve(
            region=region,
            endpoint_url=config.endpoint_url or configured_endpoint_url(settings),
            use_fips=use_fips,
            use_dualstack=use_dualstack,
        )
        source = (
            credentials if credentials is not None else await _chain(config, session, region=region)
        )
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise translate_configuration_error(exc) from exc
    # The model is read now, while the client opens, so that the first call does not
    # pay for it (validation and encoding read it): as with the TLS context.
    _service_model.service_model()
    transport = Transport(
        endpoint=endpoint,
        credentials=CredentialCache(source),
        target_prefix=TARGET_PREFIX,
        user_agent=user_agent(),
        max_connections=config.max_pool_connections,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        verify=verify,
        client_cert=config.client_cert,
        proxies=config.proxies,
        proxies_config=config.proxies_config,
    )
    logger.debug(
        "client opened",
        extra={
            "endpoint": endpoint.url,
            "signing_region": endpoint.signing_region,
            "proxy": mask_proxy_url(transport.proxy_url) if transport.proxy_url else None,
            "credentials": getattr(source, "method", type(source).__name__)
            if source is not None
            else None,
        },
    )
    try:
        await transport.open()
    except (OSError, ValueError) as exc:
        await transport.close()
        proxy_tls = {
            name: value
            for name, value in (config.proxies_config or {}).items()
            if name in ("proxy_ca_bundle", "proxy_client_cert")
        }
        raise ConfigurationError(
            f"the TLS settings cannot be used (verify={verify!r}, "
            f"client_cert={config.client_cert!r}"
            + (f", proxies_config {proxy_tls!r}" if proxy_tls else "")
            + f"): {exc}",
            code="InvalidTLSSettings",
        ) from exc
    return transport


async def _chain(config: ClientConfig, session: AioSession | None, *, region: str) -> Any:
    """The configured keys, or what the caller's session or botocore's credential chain
    finds now (or None)."""
    key, secret = config.aws_access_key_id, config.aws_secret_access_key
    if key is not None or secret is not None:
        if key is None or secret is None:
            missing = "aws_secret_access_key" if secret is None else "aws_access_key_id"
            raise botocore.exceptions.PartialCredentialsError(provider="explicit", cred_var=missing)
        return botocore.credentials.Credentials(key, secret, config.aws_session_token)
    if session is None:
        from aiobotocore.credentials import create_credential_resolver

        chain = chain_session(config.profile_name)
        resolver = create_credential_resolver(chain, region_name=region)
        found = await resolver.load_credentials()
    else:
        found = await session.get_credentials()
    # None: every call raises NoCredentialsError (a typed CredentialsNotFoundError),
    # as with a botocore client.
    return found


def configured_endpoint_url(session: botocore.session.Session) -> str | None:
    """The endpoint the environment or the profile names for Proton, as a botocore client
    finds it: ``AWS_ENDPOINT_URL_PROTON``, ``AWS_ENDPOINT_URL``, then the profile's
    ``services`` section and ``endpoint_url`` (unless ``ignore_configured_endpoint_urls``).
    Read at each open, so a changed environment (``mock_proton()``) is seen."""
    if session.get_config_variable("ignore_configured_endpoint_urls"):
        return None
    provider = botocore.configprovider.ConfiguredEndpointProvider(
        full_config=session.full_config,
        scoped_config=session.get_scoped_config(),
        client_name="proton",
    )
    found = provider.provide()
    return str(found) if found else None


def _setting(value: bool | None, session: botocore.session.Session, name: str) -> bool:
    """A boolean client setting, or botocore's value for it (environment, profile)."""
    if value is not None:
        return value
    found = session.get_config_variable(name)
    if isinstance(found, str):
        return found.strip().lower() == "true"
    return bool(found)
