"""The Proton model as botocore ships it, loaded once per process.

Everything model-driven in aioproton (validation, encoding, decoding, the emulator)
reads the model through this module, so the JSON is parsed once and always comes from
the installed botocore, never from a copy.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore
import botocore.loaders
import botocore.model

SERVICE_NAME = "proton"
API_VERSION = "2020-07-20"


@functools.cache
def loader() -> botocore.loaders.Loader:
    """The botocore loader shared by every client and emulator in the process."""
    return botocore.loaders.create_loader()


@functools.cache
def service_description() -> dict[str, Any]:
    data: dict[str, Any] = loader().load_service_model(SERVICE_NAME, "service-2", API_VERSION)
    return data


@functools.cache
def service_model() -> botocore.model.ServiceModel:
    return botocore.model.ServiceModel(service_description(), service_name=SERVICE_NAME)


@functools.cache
def paginators_description() -> dict[str, Any]:
    data: dict[str, Any] = loader().load_service_model(SERVICE_NAME, "paginators-1", API_VERSION)
    return data


@functools.cache
def waiters_description() -> dict[str, Any]:
    data: dict[str, Any] = loader().load_service_model(SERVICE_NAME, "waiters-2", API_VERSION)
    return data


@functools.cache
def operation_model(name: str) -> botocore.model.OperationModel:
    return service_model().operation_model(name)


def botocore_version() -> str:
    return str(botocore.__version__)
