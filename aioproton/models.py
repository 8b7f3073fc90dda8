"""The typed values of the Proton API: ``from aioproton.models import Tag``.

Every enum, structure and union of the botocore model as a generated class (frozen,
slotted attrs classes; ``OpenEnum`` enums; each union a type alias of its member
classes and an ``...Unknown`` class), and the boto3-style dict form of every input
structure (``TagDict``) that the operations accept beside the classes.
"""

from __future__ import annotations

from ._generated import models as _models
from ._generated import typeddicts as _typeddicts
from ._generated.models import *  # noqa: F403
from ._generated.typeddicts import *  # noqa: F403

__all__: list[str] = []
__all__ += _models.__all__
__all__ += _typeddicts.__all__
