"""The ``aioproton`` command line (also ``python -m aioproton``).

- ``aioproton emulator ...``: serve a local Proton (the flags of ``python -m aioproton.emulator``).
- ``aioproton wait KIND NAME...`` (alias ``watch``): follow a deployment, deletion or
  template registration until it ends; the exit code tells how it ended.
- ``aioproton rollout``: roll a template version out to everything deployed from it.

Global options: ``--endpoint-url``, ``--region``, ``--profile``, ``--debug``.
"""

from __future__ import annotations

from ._main import main as main

__all__ = ["main"]
