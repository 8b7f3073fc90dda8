"""Testing your own Proton code against a local emulator.

The pytest plugin (:mod:`aioproton.testing.plugin`, loaded automatically once aioproton
is installed) gives each test a fresh emulator and a client bound to it::

    async def test_creates_the_template(proton_client):
        await my_code.bootstrap(proton_client)
        template = await proton_client.get_environment_template(name="base")
        assert template.display_name == "Base"

:class:`ProtonFaults` (the ``proton_faults`` fixture) injects faults and scripts
outcomes; :class:`EmulatorThread` (the ``proton_endpoint`` fixture) serves an emulator
to synchronous code such as boto3. :func:`mock_proton` points every AWS SDK in the
process at an emulator, as moto's ``mock_aws`` does, for code that takes no endpoint.
They load on first use, so the plugin adds nothing to the start of a pytest run.

:class:`TokenStoreContract` checks a token store of your own against the contract the
shipped ones meet; :class:`PostgresServer` (the ``proton_postgres`` fixtures) starts a
throwaway PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._contract import TokenStoreContract as TokenStoreContract
    from ._faults import ProtonFaults as ProtonFaults
    from ._mock import mock_proton as mock_proton
    from ._postgres import PostgresServer as PostgresServer
    from ._threaded import EmulatorThread as EmulatorThread

_EXPORTS = {
    "EmulatorThread": "._threaded",
    "PostgresServer": "._postgres",
    "ProtonFaults": "._faults",
    "TokenStoreContract": "._contract",
    "mock_proton": "._mock",
}

__getattr__: Callable[[str], Any]
__dir__: Callable[[], list[str]]
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
