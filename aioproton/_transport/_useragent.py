"""The ``User-Agent`` header, rendered once per process by botocore's own builder."""

from __future__ import annotations

import functools
import sys

import aiobotocore
import botocore
import botocore.config
from botocore.useragent import UserAgentString


@functools.cache
def user_agent() -> str:
    """botocore's format (sdk, os, arch, language, retry mode), named for aioproton."""
    # The package's own __version__ (what the distribution is built with), read from
    # the loaded package: importing it here would be a cycle, and asking
    # importlib.metadata scans every installed distribution (some 2 ms).
    version = str(sys.modules[__name__.partition(".")[0]].__version__)
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
