"""The Proton model as botocore ships it, loaded once per process.

Everything model-driven in aioproton (validation, encoding, decoding, the emulator)
reads the model through this module, so the JSON is parsed once and always comes from
the installed botocore, never from a copy.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import botocore
import botocore.exceptions
import botocore.loaders
import botocore.model

SERVICE_NAME = "proton"
API_VERSION = "2020-07-20"


@functools.cache
def loader() -> botocore.loaders.Loader:
    """The botocore loader shared by every client and emulator in the process."""
    return botocore.loaders.create_loader()


def load(type_name: str, models: botocore.loaders.Loader | None = None) -> dict[str, Any]:
    """One of Proton's model files (``service-2``, ``paginators-1``, ...), as
    ``Loader.load_service_model`` loads it (the same search paths, so a model in
    ``~/.aws/models`` still wins, and the same extras), without first listing every
    installed service's folders, which costs some 8 ms per file type; the service and
    its version are known. ``tests/client/test_transport_pins.py`` checks both agree."""
    models = models or loader()
    full_path = os.path.join(SERVICE_NAME, API_VERSION, type_name)
    data: dict[str, Any] = models.load_data(full_path)
    extras = []
    for extras_type in models.extras_types:
        try:
            extras.append(models.load_data(f"{full_path}.{extras_type}-extras"))
        except botocore.exceptions.DataNotFoundError:
            pass
    botocore.loaders.ExtrasProcessor().process(data, extras)
    return data


@functools.cache
def service_description() -> dict[str, Any]:
    return load("service-2")


@functools.cache
def service_model() -> botocore.model.ServiceModel:
    return botocore.model.ServiceModel(service_description(), service_name=SERVICE_NAME)


@functools.cache
def paginators_description() -> dict[str, Any]:
    return load("paginators-1")


@functools.cache
def waiters_description() -> dict[str, Any]:
    return load("waiters-2")


@functools.cache
def operation_model(name: str) -> botocore.model.OperationModel:
    return service_model().operation_model(name)


def botocore_version() -> str:
    return str(botocore.__version__)
