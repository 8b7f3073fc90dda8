"""A throwaway PostgreSQL server for tests: initdb in a temporary directory, pg_ctl start.

Used by the ``proton_postgres`` fixture (one server per test session) and usable on its
own::

    with PostgresServer.start() as server:
        url = server.create_database()   # postgresql://aioproton@127.0.0.1:PORT/test_1

The binaries are found in ``$AIOPROTON_POSTGRES_BIN``, on ``PATH`` or under
``/usr/lib/postgresql/*/bin`` (Debian's ``postgresql`` package). initdb refuses to run
as root, so under root the server runs as the unprivileged ``postgres`` user (created
by that package) through ``runuser``, in a directory it owns. Where no server is
installed, :meth:`PostgresServer.start` raises :class:`PostgresUnavailableError`; the
fixture turns that into a skip, except under ``CI=true``, where a missing server is a
failure.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

__all__ = ["PostgresServer", "PostgresUnavailableError"]

#: Where to take the server binaries from, instead of PATH and Debian's directories.
BIN_DIR_VARIABLE = "AIOPROTON_POSTGRES_BIN"
_USER = "aioproton"
_RUN_AS = "postgres"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries on this machine (or no user to run them as)."""


def _binaries() -> Path:
    chosen = os.environ.get(BIN_DIR_VARIABLE)
    if chosen:
        if (Path(chosen) / "pg_ctl").exists() and (Path(chosen) / "initdb").exists():
            return Path(chosen)
        raise PostgresUnavailableError(
            f"no pg_ctl and initdb in {chosen} (from ${BIN_DIR_VARIABLE}): point it at "
            "PostgreSQL's bin directory, or unset it to search PATH"
        )
    found = shutil.which("pg_ctl")
    if found is not None and shutil.which("initdb") is not None:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    raise PostgresUnavailableError(
        "no PostgreSQL server found (pg_ctl and initdb): install it, e.g. "
        "`apt-get install -y postgresql` on Debian"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.define(eq=False, repr=False)
class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1."""

    directory: Path
    port: int
    bin_dir: Path
    run_as: str | None
    durable: bool = attrs.field(kw_only=True)
    _databases: itertools.count[int] = attrs.field(init=False, factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        """The URL of the server's ``postgres`` database, as the superuser."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        """The connection URL of ``database`` on this server."""
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/{database}"

    @classmethod
    @contextlib.contextmanager
    def start(cls, *, durable: bool = False) -> Iterator[PostgresServer]:
        """Start a fresh cluster; stop it and remove its files on exit.

        Tests run it with ``fsync`` off (``durable=False``), which is faster and loses
        nothing a test needs; a benchmark that compares stores wants it on.
        """
        bin_dir = _binaries()
        run_as = None
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(_RUN_AS)
            except KeyError:
                raise PostgresUnavailableError(
                    f"running as root, and there is no {_RUN_AS!r} user to run PostgreSQL as "
                    "(initdb refuses root): create one, or install Debian's postgresql package"
                ) from None
            run_as = _RUN_AS
        directory = Path(tempfile.mkdtemp(prefix="aioproton-pg-"))
        try:
            if run_as is not None:
                os.chown(directory, account.pw_uid, account.pw_gid)
            server = cls(directory, _free_port(), bin_dir, run_as, durable=durable)
            server._initdb()
            for attempt in range(3):
                try:
                    server._start()
                    break
                except RuntimeError:
                    if attempt == 2:
                        raise
                    server.port = _free_port()  # taken since it was probed: another one
            try:
                yield server
            finally:
                server._stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"test_{next(self._databases)}"
        self._psql(f"CREATE DATABASE {name}")
        return self.url_for(name)

    def _run(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        command = [*argv]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=self.directory
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(argv[0]).name} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result

    @property
    def _data(self) -> Path:
        return self.directory / "data"

    def _initdb(self) -> None:
        self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self._data),
                "-U",
                _USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ]
        )

    def _start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c max_connections=200"
        if not self.durable:
            options += " -F"
        self._run(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self._data),
                "-o",
                options,
                "-l",
                str(self.directory / "server.log"),
                "-w",
                "start",
            ]
        )

    def _stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self._data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ]
            )

    def _psql(self, sql: str) -> None:
        self._run(
            [
                str(self.bin_dir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.url,
                "-c",
                sql,
            ]
        )

    def __repr__(self) -> str:
        return f"PostgresServer(port={self.port})"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def proton_postgres() -> Iterator[PostgresServer]:
    """One throwaway server for the test session (skipped without PostgreSQL, except in CI)."""
    import pytest

    try:
        context = PostgresServer.start()
        server = context.__enter__()
    except PostgresUnavailableError as error:
        if in_ci():
            raise
        pytest.skip(str(error))
    try:
        yield server
    finally:
        context.__exit__(None, None, None)


def proton_postgres_url(proton_postgres: PostgresServer) -> str:
    """The URL of a fresh, empty database on the session's server, for one test."""
    return proton_postgres.create_database()
