"""The control endpoint under ``/_emulator/``: drive an emulator from outside its process.

JSON in, JSON out; never faulted, never recorded in the request log, and never on
``POST /`` so no Proton client can reach it by accident. Routes::

    GET    /_emulator/health      status, revision, clock, bound addresses
    GET    /_emulator/requests    the request log
    DELETE /_emulator/requests    clear the request log
    GET    /_emulator/faults      the current FaultSettings
    PUT    /_emulator/faults      replace them (FaultSettings as JSON)
    DELETE /_emulator/faults      no more faults
    GET    /_emulator/clock       {"now": epoch, "kind": ...}
    POST   /_emulator/clock       {"advance": seconds} or {"set": epoch}; ManualClock only (409)
    POST   /_emulator/script      add a ScriptRule ({"target": ..., "action": ..., ...})
    DELETE /_emulator/script      remove every rule
    POST   /_emulator/reset       empty the backend (state and script)
    PUT    /_emulator/bundles     {"bucket", "key", "content": base64 tar.gz}: an S3 object
                                  template versions can name (in memory; kept by reset)
    PUT    /_emulator/repositories {"provider", "name", "path"}: read that linked
                                  repository from the git repository at path (kept by reset)
    POST   /_emulator/sync        read every synced branch now (template sync)
    GET    /_emulator/quotas      the service quotas in force ({"quotas": {name: n}})
    PUT    /_emulator/quotas      {name: n, ...}: raise or lower those quotas (kept by
                                  reset); an unknown name or a non-positive n is a 400
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from ..clock import ManualClock
from ._faults import FaultSettings
from ._protocol import (
    ControlConflict,
    ControlError,
    error_response,
    internal_error,
    json_response,
    new_request_id,
    parse_body,
)
from ._server import ProtonServer
from .errors import ServiceError

logger = logging.getLogger("aioproton.emulator")

PREFIX = "/_emulator"

#: 9999-12-31T23:59:59Z: the last time a response can carry as a timestamp.
LATEST_TIME = 253_402_300_799.0


def _json_handler(
    method: Callable[[Any, web.Request], Awaitable[Mapping[str, Any]]],
) -> Callable[[Any, web.Request], Awaitable[web.Response]]:
    """Run a control handler: its result as JSON, its failures as JSON errors."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: web.Request) -> web.Response:
        request_id = new_request_id()
        try:
            result = await method(self, request)
        except ServiceError as error:
            return error_response(error, request_id=request_id)
        except (ValueError, TypeError, OverflowError, RecursionError) as error:
            return error_response(ControlError(str(error)), request_id=request_id)
        except Exception:
            logger.exception("control request %s %s failed", request.method, request.path)
            return error_response(internal_error(request_id), request_id=request_id)
        # Control answers keep their nulls: they are emulator data, not Proton shapes.
        return json_response(json.dumps(result).encode(), request_id=request_id)

    return wrapper


def clock_kind(clock: object) -> str:
    return {"ManualClock": "manual", "SystemClock": "system", "ScaledClock": "scaled"}.get(
        type(clock).__name__, type(clock).__name__
    )


class ControlRoutes:
    """The control handlers of one emulator; ``info`` adds emulator-level facts to health."""

    def __init__(self, server: ProtonServer, info: Callable[[], Mapping[str, Any]]) -> None:
        self.server = server
        self.info = info

    def add_to(self, app: web.Application) -> None:
        routes = [
            ("GET", "/health", self.health),
            ("GET", "/requests", self.get_requests),
            ("DELETE", "/requests", self.clear_requests),
            ("GET", "/faults", self.get_faults),
            ("PUT", "/faults", self.put_faults),
            ("DELETE", "/faults", self.clear_faults),
            ("GET", "/clock", self.get_clock),
            ("POST", "/clock", self.post_clock),
            ("POST", "/script", self.add_script),
            ("DELETE", "/script", self.clear_script),
            ("POST", "/reset", self.reset),
            ("PUT", "/bundles", self.put_bundle),
            ("PUT", "/repositories", self.put_repository),
            ("POST", "/sync", self.sync),
            ("GET", "/quotas", self.get_quotas),
            ("PUT", "/quotas", self.put_quotas),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, PREFIX + path, handler)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        return parse_body(await request.read())

    @_json_handler
    async def health(self, request: web.Request) -> Mapping[str, Any]:
        return {
            "status": "ok",
            "revision": self.server.backend.revision,
            "now": self.server.clock.now(),
            "clock": clock_kind(self.server.clock),
            "requests": len(self.server.requests),
            **self.info(),
        }

    @_json_handler
    async def get_requests(self, request: web.Request) -> Mapping[str, Any]:
        return {"requests": [record.to_dict() for record in self.server.requests]}

    @_json_handler
    async def clear_requests(self, request: web.Request) -> Mapping[str, Any]:
        self.server.requests.clear()
        return {}

    @_json_handler
    async def get_faults(self, request: web.Request) -> Mapping[str, Any]:
        return {"faults": self.server.faults.settings.to_dict()}

    @_json_handler
    async def put_faults(self, request: web.Request) -> Mapping[str, Any]:
        settings = FaultSettings.from_dict(await self._body(request))
        self.server.faults.configure(settings)
        return {"faults": settings.to_dict()}

    @_json_handler
    async def clear_faults(self, request: web.Request) -> Mapping[str, Any]:
        self.server.faults.clear()
        return {"faults": self.server.faults.settings.to_dict()}

    @_json_handler
    async def get_clock(self, request: web.Request) -> Mapping[str, Any]:
        clock = self.server.clock
        return {"now": clock.now(), "kind": clock_kind(clock)}

    @_json_handler
    async def post_clock(self, request: web.Request) -> Mapping[str, Any]:
        clock = self.server.clock
        body = await self._body(request)
        if not isinstance(clock, ManualClock):
            raise ControlConflict(
                f"the emulator runs a {clock_kind(clock)} clock; only a manual clock can be moved"
            )
        if set(body) not in ({"advance"}, {"set"}):
            raise ControlError('send {"advance": seconds} or {"set": epoch_seconds}')
        ((action, value),) = body.items()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ControlError(f"{action} must be a number of seconds")
        target = clock.now() + value if action == "advance" else value
        if not 0 <= target <= LATEST_TIME:
            raise ControlError(
                f"{action} {value} would move the clock outside 1970..9999; "
                "timestamps there cannot be sent"
            )
        if action == "advance":
            clock.advance(float(value))
        else:
            clock.set(float(value))
        self.server.backend.advance()
        self.server.persist()
        return {"now": clock.now(), "kind": "manual"}

    @_json_handler
    async def add_script(self, request: web.Request) -> Mapping[str, Any]:
        body = await self._body(request)
        target = body.pop("target", None)
        if not isinstance(target, str) or not target:
            raise ControlError("a script rule needs a 'target' string")
        rule = self.server.backend.script.add(target, **body)
        self.server.persist(force=True)
        return {"rule": rule.to_dict()}

    @_json_handler
    async def clear_script(self, request: web.Request) -> Mapping[str, Any]:
        self.server.backend.script.clear()
        self.server.persist(force=True)
        return {}

    async def _strings(self, request: web.Request, usage: str, *names: str) -> list[str]:
        """The body's ``names``, each a non-empty string, or a ControlError that shows ``usage``."""
        body = await self._body(request)
        values = [body.get(name) for name in names]
        if not all(isinstance(value, str) and value for value in values):
            raise ControlError(f"send {usage}")
        return [str(value) for value in values]

    @_json_handler
    async def put_bundle(self, request: web.Request) -> Mapping[str, Any]:
        usage = '{"bucket": ..., "key": ..., "content": base64 of the tar.gz bundle}'
        bucket, key, content = await self._strings(request, usage, "bucket", "key", "content")
        try:
            data = base64.b64decode(content, validate=True)
        except binascii.Error as exc:
            raise ControlError(f"content is not base64: {exc}") from exc
        self.server.backend.bundles.s3.register(bucket, key, data)
        return {"bucket": bucket, "key": key, "size": len(data)}

    @_json_handler
    async def put_repository(self, request: web.Request) -> Mapping[str, Any]:
        usage = '{"provider": "GITHUB", "name": "owner/repo", "path": "/a/git/repository"}'
        provider, name, path = await self._strings(request, usage, "provider", "name", "path")
        self.server.backend.bundles.git.point(provider, name, Path(path))
        return {"provider": provider, "name": name, "path": path}

    @_json_handler
    async def sync(self, request: web.Request) -> Mapping[str, Any]:
        self.server.backend.sync()
        self.server.persist()
        return {"revision": self.server.backend.revision}

    @_json_handler
    async def get_quotas(self, request: web.Request) -> Mapping[str, Any]:
        return {"quotas": self.server.backend.quotas.to_dict()}

    @_json_handler
    async def put_quotas(self, request: web.Request) -> Mapping[str, Any]:
        backend = self.server.backend
        backend.quotas = backend.quotas.updated(await self._body(request))
        return {"quotas": backend.quotas.to_dict()}

    @_json_handler
    async def reset(self, request: web.Request) -> Mapping[str, Any]:
        self.server.backend.reset()
        self.server.persist(force=True)
        return {"revision": self.server.backend.revision}
