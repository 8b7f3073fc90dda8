"""The ``User-Agent`` header, rendered once per process by botocore's own builder."""

from __future__ import annotations

import functools
import importlib.metadata

import aiobotocore
import botocore
import botocore.config
from botocore.useragent import UserAgentString


@functools.cache
def user_agent() -> str:
    """botocore's format (sdk, os, arch, language, retry mode), named for aioproton."""
    try:
        version = importlib.metadata.version("aioproton")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    config = botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"}, user_agent_extra="aioproton"
    )
    creator = UserAgentString.from_environment().set_session_config(
        session_user_agent_name="aioproton",
        session_user_agent_version=version,
        session_user_agent_extra=(
            f"aiobotocore/{aiobotocore.__version__} botocore/{botocore.__version__}"
        ),
    )
    return str(creator.with_client_config(config).to_string())
