"""Type-checking samples: ``mypy --strict tests/typing`` (CI) checks them; nothing runs them.

Each ``assert_type`` states a type a user relies on; each ``# type: ignore[code]``
states a call the types must refuse (``--strict`` warns about an unused ignore, so an
accepted call fails the check).
"""
