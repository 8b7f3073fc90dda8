"""From the global options to an open client.

Without ``--endpoint-url`` (or ``$AWS_ENDPOINT_URL_PROTON``, or ``$AWS_ENDPOINT_URL``)
the client finds region and credentials the way the AWS CLI does (environment,
``--profile``, shared files, instance roles). With one, and with no credentials
configured anywhere, the client signs with the emulator's default key, so
``aioproton wait --endpoint-url http://127.0.0.1:4566 ...`` works against a local
emulator on a machine that has never seen AWS; the region then defaults to us-east-1.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from .._client import ProtonClient
from .._config import RetryPolicy
from ..emulator.defaults import DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY

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


def _credentials_configured(profile: str | None) -> bool:
    if profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID"):
        return True
    if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") or os.environ.get(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    ):
        return True
    shared = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return Path(shared).expanduser().is_file()


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
    if endpoint and not _credentials_configured(args.profile):
        settings["aws_access_key_id"] = DEFAULT_ACCESS_KEY_ID
        settings["aws_secret_access_key"] = DEFAULT_SECRET_ACCESS_KEY
        if settings["region_name"] is None:
            settings["region_name"] = (
                os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
                or DEFAULT_REGION
            )
    return settings


def open_client(args: argparse.Namespace, **extra: Any) -> ProtonClient:
    return ProtonClient(**client_settings(args, **extra))
