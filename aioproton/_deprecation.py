"""One ``DeprecationWarning`` per process for clients that talk to AWS itself.

The AWS model marks every Proton operation deprecated (``OperationFacts.deprecated``:
AWS Proton accepts no new customers). Warning at every call, or marking each method
``@deprecated`` for type checkers, would nag everyone who uses the emulator, which is
most users now. So the first client of a process that opens on an AWS endpoint (a host
under one of the DNS suffixes of botocore's partitions) warns once; emulator and other
non-AWS endpoints never do. Silence it with
``warnings.filterwarnings("ignore", "AWS Proton", DeprecationWarning)``.
"""

from __future__ import annotations

import functools
import logging
import threading
import warnings
from urllib.parse import urlsplit

from botocore.loaders import Loader

from ._generated.facts import OPERATIONS

logger = logging.getLogger("aioproton.client")

_lock = threading.Lock()
_warned = threading.Event()


@functools.cache
def aws_dns_suffixes() -> tuple[str, ...]:
    """Every partition's DNS suffixes (``amazonaws.com``, ``api.aws``, ...)."""
    partitions = Loader().load_data("partitions")["partitions"]
    return tuple(
        sorted(
            {
                suffix
                for partition in partitions
                for key in ("dnsSuffix", "dualStackDnsSuffix")
                if (suffix := partition["outputs"].get(key))
            }
        )
    )


def is_aws_endpoint(url: str) -> bool:
    """Whether ``url``'s host belongs to AWS (not an emulator or a proxy of one's own)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    return any(host.endswith("." + suffix) for suffix in aws_dns_suffixes())


def warn_if_aws(url: str, *, stacklevel: int) -> None:
    """Warn once per process that Proton is deprecated, if ``url`` is AWS's."""
    if _warned.is_set() or not is_aws_endpoint(url):
        return
    with _lock:
        if _warned.is_set():
            return
        _warned.set()
    deprecated = sorted(name for name, facts in OPERATIONS.items() if facts.deprecated)
    reason = next((OPERATIONS[name].deprecated_message for name in deprecated), "deprecated by AWS")
    logger.warning(
        "AWS Proton is deprecated",
        extra={"endpoint": url, "deprecated_operations": len(deprecated), "reason": reason},
    )
    warnings.warn(
        f"AWS Proton is deprecated: {reason} ({len(deprecated)} of {len(OPERATIONS)} "
        "operations are marked deprecated in the AWS model). aioproton warns once per "
        "process when a client opens on an AWS endpoint; emulators never trigger it.",
        DeprecationWarning,
        stacklevel=stacklevel + 1,
    )
