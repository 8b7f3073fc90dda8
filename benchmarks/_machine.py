"""The machine and the package versions a run was made with, for the results."""

from __future__ import annotations

import os
import platform
from importlib import metadata

PACKAGES = ("aioproton", "aiobotocore", "botocore", "boto3", "aiohttp", "capo-proton", "zapros")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def summary() -> str:
    packages = ", ".join(f"{name} {version}" for name, version in versions().items())
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), {platform.python_implementation()} "
        f"{platform.python_version()}; {packages}"
    )
