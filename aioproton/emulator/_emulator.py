"""``Emulator``: a local Proton endpoint on 127.0.0.1, for tests, examples and benchmarks.

It wires the pieces together (backend, auth, faults, request log, state file, control
endpoint) and owns the aiohttp server's lifecycle. It binds the loopback interface
unless another ``host`` is given explicitly.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import anyio
from aiohttp import web

from .._lifecycle import AsyncResource
from ..clock import Clock, ManualClock, SystemClock
from ..errors import ConfigurationError
from ._auth import Authenticator, AuthMode, ClockSkew, resolve_clock_skew
from ._control import ControlRoutes
from ._faults import FaultInjector, FaultSettings
from ._persistence import StateFile, StateFileError
from ._protocol import NotFoundException, error_response, new_request_id
from ._request_log import Recorder, RequestLog
from ._server import AwsAppRunner, ProtonServer
from .backend import ProtonBackend, Quotas, ScriptRule, Timings
from .backend._script import PATH_SHAPES
from .defaults import DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY

if TYPE_CHECKING:
    from .._client import ProtonClient

logger: logging.Logger = logging.getLogger("aioproton.emulator")

_WILDCARDS = {"", "0.0.0.0", "::"}


class ClientSettings(TypedDict):
    """What a client needs to reach an emulator; a plain ``dict[str, str]`` at runtime."""

    endpoint_url: str
    region_name: str
    aws_access_key_id: str
    aws_secret_access_key: str


class _State(enum.Enum):
    UNOPENED = "unopened"
    RUNNING = "running"
    CLOSED = "closed"


async def _not_found(request: web.Request) -> web.Response:
    error = NotFoundException(
        f"no route for {request.method} {request.path}: operations are POST / and the "
        "control endpoint is under /_emulator/"
    )
    return error_response(error, request_id=new_request_id())


def _url_host(host: str) -> str:
    if host in _WILDCARDS:
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[{address}]" if address.version == 6 else host


class Emulator(AsyncResource):
    """A Proton endpoint served by an in-process backend.

    Use it as an async context manager::

        async with Emulator(clock=ManualClock()) as emu:
            async with ProtonClient(**emu.client_settings) as proton:
                await proton.get_account_settings()

    ``auth`` is ``"signed"`` (any well-formed SigV4 signature; the default),
    ``"strict"`` (signatures verified against ``credentials``) or ``"none"``.
    ``auth_clock_skew``: how many seconds a strict request's ``X-Amz-Date`` may be from
    the emulator's clock (``"auto"``: AWS's 900 with a SystemClock, unchecked with a
    simulated clock; ``None``: never checked; see ``_auth``).
    ``accounts`` maps access key ids to account ids (default ``123456789012``).
    ``check_responses`` turns a response that breaks the model into a 500 (for tests).
    ``state_file`` keeps the state in SQLite across restarts (see ``_persistence``).
    ``bundle_root`` stands in for S3: ``<bundle_root>/<bucket>/<key>`` is the tar.gz
    template bundle a version's ``source`` names (see ``backend._bundles``).
    ``git_root`` holds the linked repositories: ``<git_root>/<provider>/<owner>/<name>``
    (provider lower-cased) is a git repository that template sync reads (see
    ``backend._template_sync``); :meth:`point_repository` maps one elsewhere.
    ``quotas`` raises (or lowers) service quotas by name, as AWS raises them on request:
    ``{"environments": 20000}`` (see ``backend.Quotas`` for the names and defaults).
    ``record_to`` writes every API request's and response's body to that file as JSON
    lines, one object per request, headers never included (read it with
    :func:`read_recording`); the records in :attr:`requests` then carry the bodies too.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        timings: Timings | None = None,
        deploy_seconds: float | None = None,
        seed: int = 0,
        auth: AuthMode = "signed",
        credentials: Mapping[str, str] | None = None,
        accounts: Mapping[str, str] | None = None,
        faults: FaultSettings | None = None,
        state_file: str | os.PathLike[str] | None = None,
        check_responses: bool = False,
        max_body_bytes: int = 1_048_576,
        region: str = DEFAULT_REGION,
        auth_clock_skew: ClockSkew = "auto",
        bundle_root: str | os.PathLike[str] | None = None,
        git_root: str | os.PathLike[str] | None = None,
        quotas: Mapping[str, int] | None = None,
        record_to: str | os.PathLike[str] | None = None,
    ) -> None:
        if timings is not None and deploy_seconds is not None:
            raise ValueError("give either timings or deploy_seconds, not both")
        if deploy_seconds is not None:
            timings = Timings(deploy_seconds=deploy_seconds)
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        if credentials is None:
            credentials = {DEFAULT_ACCESS_KEY_ID: DEFAULT_SECRET_ACCESS_KEY}
        if not credentials:
            raise ValueError("credentials must hold at least one access key")
        self.host = host
        self.port = port
        self.region = region
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.backend: ProtonBackend = ProtonBackend(
            clock=self.clock, timings=timings if timings is not None else Timings(), seed=seed
        )
        if bundle_root is not None:
            self.backend.bundles.s3.root = Path(bundle_root)
        if git_root is not None:
            self.backend.bundles.git.root = Path(git_root)
        if quotas:
            try:
                self.backend.quotas = Quotas().updated(quotas)
            except ValueError as exc:
                raise ConfigurationError(f"Emulator(quotas=...): {exc}") from None
        self.faults: FaultInjector = FaultInjector(faults, seed=seed)
        self._recorder = Recorder(record_to) if record_to is not None else None
        self.requests: RequestLog = RequestLog(recorder=self._recorder)
        self._credentials = dict(credentials)
        self._server = ProtonServer(
            backend=self.backend,
            clock=self.clock,
            authenticator=Authenticator(
                auth,
                credentials=self._credentials,
                accounts=accounts or {},
                default_region=region,
                clock=self.clock,
                max_skew=resolve_clock_skew(auth_clock_skew, self.clock),
            ),
            faults=self.faults,
            requests=self.requests,
            state_file=StateFile(state_file) if state_file is not None else None,
            check_responses=check_responses,
            max_body_bytes=max_body_bytes,
        )
        self._runner: web.AppRunner | None = None
        self._addresses: list[tuple[str, int]] = []
        self._state = _State.UNOPENED

    # ------------------------------------------------------------------ lifecycle

    async def _enter(self) -> None:
        await self.start()

    async def start(self) -> None:
        """Restore the state file, if any, and start serving."""
        if self._state is not _State.UNOPENED:
            raise RuntimeError(f"this Emulator is {self._state.value}; create a new one")
        self._state = _State.RUNNING
        try:
            await self._start()
        except BaseException:
            await self.aclose()
            raise

    async def _start(self) -> None:
        if self._recorder is not None:
            self._recorder.open()
        state_file = self._server.state_file
        if state_file is not None:
            state_file.open()
            saved = state_file.load()
            if saved is not None:
                try:
                    self.backend.restore(saved)
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
                    raise StateFileError(
                        f"{state_file.path} holds a state this emulator cannot restore: {exc}"
                    ) from exc
            self._server.mark_saved()
        app = web.Application(client_max_size=self._server.max_body_bytes)
        app.router.add_route("*", "/", self._server.handle)
        ControlRoutes(self._server, self._info).add_to(app)
        app.router.add_route("*", "/{tail:.*}", _not_found)
        runner = AwsAppRunner(
            app, self._server, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        self._runner = runner
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._addresses = [(str(a[0]), int(a[1])) for a in runner.addresses]

    async def aclose(self) -> None:
        """Stop serving and close the state file; shielded from cancellation, idempotent."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        self._report_unused_rules()
        with anyio.CancelScope(shield=True):
            try:
                if self._runner is not None:
                    await self._runner.cleanup()
            finally:
                self._runner = None
                if self._server.state_file is not None:
                    self._server.state_file.close()
                if self._recorder is not None:
                    self._recorder.close()

    def _report_unused_rules(self) -> None:
        """A scripted outcome that never fired is usually a target of the wrong shape."""
        for rule in self.backend.script.unused:
            logger.warning(
                "script rule for %r (%s) matched no action; targets are globs over paths "
                "such as %s",
                rule.target,
                rule.action,
                ", ".join(PATH_SHAPES),
                extra={"target": rule.target, "rule_action": rule.action},
            )

    # ------------------------------------------------------------------ facts

    @property
    def running(self) -> bool:
        return self._state is _State.RUNNING and bool(self._addresses)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The (host, port) pairs the server listens on."""
        return list(self._addresses)

    @property
    def endpoint_url(self) -> str:
        if not self.running:
            raise RuntimeError("the emulator is not running: use `async with Emulator() as emu:`")
        port = self._addresses[0][1]
        return f"http://{_url_host(self.host)}:{port}"

    @property
    def client_settings(self) -> ClientSettings:
        """Keyword arguments for ``ProtonClient(**s)`` or ``boto3.client("proton", **s)``."""
        access_key_id, secret = next(iter(self._credentials.items()))
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret,
        }

    @property
    def state_file(self) -> StateFile | None:
        """The state file, when the emulator keeps one."""
        return self._server.state_file

    @property
    def auth(self) -> AuthMode:
        return self._server.authenticator.mode

    def _info(self) -> dict[str, Any]:
        return {
            "endpoint_url": self.endpoint_url,
            "addresses": [f"{host}:{port}" for host, port in self._addresses],
            "auth": self.auth,
            "auth_clock_skew": self._server.authenticator.max_skew,
            "region": self.region,
            "state_file": self.state_file.path if self.state_file is not None else None,
        }

    # ------------------------------------------------------------------ conveniences

    def client(self, **overrides: Any) -> ProtonClient:
        """A ``ProtonClient`` for this emulator (open it with ``async with``)."""
        from .._client import ProtonClient

        return ProtonClient(**{**self.client_settings, **overrides})

    def script(self, target: str, **kwargs: Any) -> ScriptRule:
        """Script the outcome of the next lifecycle of ``target`` (``backend.script.add``)."""
        rule = self.backend.script.add(target, **kwargs)
        self._server.persist(force=True)
        return rule

    def advance(self, seconds: float) -> float:
        """Move a ManualClock forward and apply the transitions now due."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("only a ManualClock can be advanced")
        now = self.clock.advance(seconds)
        self.backend.advance()
        self._server.persist()
        return now

    def point_repository(self, provider: str, name: str, path: str | os.PathLike[str]) -> None:
        """Read linked repository ``provider``/``name`` from the git repository at ``path``."""
        self.backend.bundles.git.point(provider, name, Path(path))

    def sync(self) -> None:
        """Read every synced branch now, instead of at the next due request."""
        self.backend.sync()
        self._server.persist()

    def reset(self) -> None:
        """Forget every resource and script rule (the request log and faults stay)."""
        self.backend.reset()
        self._server.persist(force=True)
