"""``EmulatorControl``: the control endpoint from Python, for an emulator in another process.

In-process code can use ``Emulator.faults``, ``.requests`` and ``.clock`` directly;
this client gives tests of an out-of-process emulator (``python -m aioproton.emulator``)
the same powers over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
import anyio

from .._lifecycle import AsyncResource
from ._faults import FaultSettings
from ._request_log import RequestRecord


class EmulatorControlError(Exception):
    """The control endpoint refused a request."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code} (HTTP {status}): {message}")
        self.status = status
        self.code = code
        self.message = message


class EmulatorControl(AsyncResource):
    """An async client for ``/_emulator/``; use it as an async context manager."""

    def __init__(self, endpoint_url: str, *, timeout: float = 30.0) -> None:
        self.endpoint_url: str = endpoint_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def _enter(self) -> None:
        if self._session is not None:
            raise RuntimeError("this EmulatorControl is already open")
        self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def aclose(self) -> None:
        """Close the HTTP session. Safe to call twice; shielded from cancellation."""
        session, self._session = self._session, None
        if session is not None:
            with anyio.CancelScope(shield=True):
                await session.close()

    async def _call(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        if self._session is None:
            raise RuntimeError("open the control client first: `async with EmulatorControl(url)`")
        url = f"{self.endpoint_url}/_emulator/{path}"
        async with self._session.request(method, url, json=body) as response:
            data = await response.json(content_type=None)
            if response.status >= 400:
                raise EmulatorControlError(
                    response.status,
                    str(data.get("__type", "Error")),
                    str(data.get("message", "")),
                )
            result: dict[str, Any] = data
            return result

    async def health(self) -> dict[str, Any]:
        """Status, revision, clock and bound addresses (``GET /_emulator/health``)."""
        return await self._call("GET", "health")

    async def requests(self) -> list[RequestRecord]:
        """Every request the emulator logged, oldest first."""
        data = await self._call("GET", "requests")
        return [RequestRecord.from_dict(item) for item in data["requests"]]

    async def clear_requests(self) -> None:
        """Empty the emulator's request log."""
        await self._call("DELETE", "requests")

    async def faults(self) -> FaultSettings:
        """The fault settings in force."""
        data = await self._call("GET", "faults")
        return FaultSettings.from_dict(data["faults"])

    async def set_faults(
        self, settings: FaultSettings | None = None, **fields: Any
    ) -> FaultSettings:
        """Replace the fault settings, from a ``FaultSettings`` or its fields."""
        if settings is None:
            settings = FaultSettings(**fields)
        elif fields:
            raise TypeError("pass either a FaultSettings or its fields, not both")
        data = await self._call("PUT", "faults", settings.to_dict())
        return FaultSettings.from_dict(data["faults"])

    async def clear_faults(self) -> None:
        """Turn every fault off."""
        await self._call("DELETE", "faults")

    async def now(self) -> float:
        """The emulator's clock time (epoch seconds)."""
        data = await self._call("GET", "clock")
        return float(data["now"])

    async def advance_clock(self, seconds: float) -> float:
        """Move the emulator's ManualClock forward; returns the new time."""
        data = await self._call("POST", "clock", {"advance": seconds})
        return float(data["now"])

    async def set_clock(self, timestamp: float) -> float:
        """Move the emulator's ManualClock forward to ``timestamp``; returns the new time."""
        data = await self._call("POST", "clock", {"set": timestamp})
        return float(data["now"])

    async def script(self, target: str, **rule: Any) -> dict[str, Any]:
        """Add a script rule (the keywords of ``OutcomeScript.add``); returns it as JSON."""
        data = await self._call("POST", "script", {"target": target, **rule})
        result: dict[str, Any] = data["rule"]
        return result

    async def clear_script(self) -> None:
        """Remove every script rule."""
        await self._call("DELETE", "script")

    async def reset(self) -> None:
        """Empty the backend: every resource and script rule is forgotten."""
        await self._call("POST", "reset")

    async def point_repository(self, provider: str, name: str, path: str) -> None:
        """Read linked repository ``provider``/``name`` from the git repository at ``path``."""
        await self._call("PUT", "repositories", {"provider": provider, "name": name, "path": path})

    async def sync(self) -> None:
        """Read every synced branch now (template sync)."""
        await self._call("POST", "sync")

    async def quotas(self) -> dict[str, int]:
        """The service quotas in force, by name (see ``backend.Quotas``)."""
        data = await self._call("GET", "quotas")
        return {str(name): int(value) for name, value in data["quotas"].items()}

    async def set_quotas(self, **quotas: int) -> dict[str, int]:
        """Raise or lower quotas by name (``set_quotas(environments=20000)``); returns all."""
        data = await self._call("PUT", "quotas", quotas)
        return {str(name): int(value) for name, value in data["quotas"].items()}
