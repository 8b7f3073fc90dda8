"""From the global options to an open client.

The client finds region and credentials the way the AWS CLI does (environment,
``--profile``, shared files, SSO, ``credential_process``, container and instance
roles), with or without ``--endpoint-url`` (or ``$AWS_ENDPOINT_URL_PROTON``, or
``$AWS_ENDPOINT_URL``). With an endpoint and no credentials anywhere in that chain, the
client signs with the emulator's default key, so ``aioproton wait --endpoint-url
http://127.0.0.1:4566 ...`` works against a local emulator on a machine that has never
seen AWS; the region then defaults to us-east-1. The instance role is probed with a
short timeout, and not at all under ``AWS_EC2_METADATA_DISABLED=true``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._config import RetryPolicy
from ..emulator.defaults import DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY

if TYPE_CHECKING:
    from .._client import ProtonClient

logger = logging.getLogger("aioproton.cli")

#: A command gives up on an unreachable endpoint after a few quick attempts.
CLI_RETRIES = RetryPolicy(max_attempts=3, initial_delay=0.2, max_delay=2.0, max_elapsed=20.0)


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """The options every command takes; ``suppress`` leaves unset ones out of the result,
    so a subcommand's copy never hides a value given before the subcommand."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("connection")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        default=default(None),
        help="Proton endpoint, e.g. a local emulator (default: AWS, or $AWS_ENDPOINT_URL_PROTON)",
    )
    group.add_argument("--region", default=default(None), help="AWS region")
    group.add_argument("--profile", default=default(None), help="AWS profile to use")
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log requests and show tracebacks",
    )


#: How long the check for an instance role may take (botocore would wait a second).
_IMDS_PROBE_SECONDS = 0.2


def _credentials_configured(profile: str | None) -> bool:
    """Whether the normal credential chain finds anything (env, files, SSO, process,
    container, instance role). A chain that is configured but fails counts as found,
    so the client reports the real problem instead of signing as the emulator."""
    if profile:
        return True  # chosen explicitly: never replaced by the emulator's key
    import botocore.credentials  # here, not at import: `aioproton --help` stays fast
    import botocore.exceptions
    import botocore.session
    import botocore.utils

    try:
        session = botocore.session.Session()
        resolver = botocore.credentials.create_credential_resolver(session)
        # The instance role last, probed quickly: off EC2 botocore waits on its timeout.
        resolver.remove("iam-role")
        if resolver.load_credentials() is not None:
            return True
        fetcher = botocore.utils.InstanceMetadataFetcher(
            timeout=_IMDS_PROBE_SECONDS, num_attempts=1
        )
        probe = botocore.credentials.InstanceMetadataProvider(iam_role_fetcher=fetcher)
        return probe.load() is not None
    except botocore.exceptions.BotoCoreError:
        return True


def _region(given: str | None) -> str | None:
    """The region for an endpoint: given, from the environment, from the profile, or the
    emulator's (botocore itself reads only ``$AWS_DEFAULT_REGION`` and the profile)."""
    if given or os.environ.get("AWS_REGION"):
        return given or os.environ.get("AWS_REGION")
    import botocore.exceptions
    import botocore.session

    try:
        if botocore.session.Session().get_config_variable("region") is not None:
            return None
    except botocore.exceptions.BotoCoreError:
        return None  # the client reports what is wrong with the configuration
    return DEFAULT_REGION


def client_settings(args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for ``ProtonClient`` from the parsed global options."""
    endpoint = (
        args.endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_PROTON")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    settings: dict[str, Any] = {
        "endpoint_url": endpoint,
        "region_name": args.region,
        "profile_name": args.profile,
        "retry": CLI_RETRIES,
        **extra,
    }
    if not endpoint:
        return settings
    if not _credentials_configured(args.profile):
        logger.debug(
            "no AWS credentials found; signing with the emulator's default key",
            extra={"endpoint_url": endpoint},
        )
        settings["aws_access_key_id"] = DEFAULT_ACCESS_KEY_ID
        settings["aws_secret_access_key"] = DEFAULT_SECRET_ACCESS_KEY
    if not args.profile:
        settings["region_name"] = _region(args.region)
    return settings


@contextlib.asynccontextmanager
async def open_client(args: argparse.Namespace, **extra: Any) -> AsyncIterator[ProtonClient]:
    """The open client (with ``--debug``, the ``aioproton.transport`` logger shows every
    request and response)."""
    from .._client import ProtonClient

    async with ProtonClient(**client_settings(args, **extra)) as proton:
        yield proton
