"""The credentials and region every emulator accepts unless told otherwise.

Tools that talk to a local emulator on a machine that has never seen AWS (the CLI, the
examples) sign with these; they are not secrets, and ``--auth strict`` replaces them.
"""

from __future__ import annotations

DEFAULT_ACCESS_KEY_ID = "AKIDEMULATOR00000000"
DEFAULT_SECRET_ACCESS_KEY = "emulator-secret-access-key"
DEFAULT_REGION = "us-east-1"
