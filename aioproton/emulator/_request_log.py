"""What the emulator was asked and what it answered, one record per API request.

Tests use it to assert what really happened on the server side of a call, which the
client alone cannot know: whether a dropped request was committed, how many attempts a
retry made, which client token each attempt carried. Control requests are not
recorded. The log keeps the latest ``maxlen`` records; sequence numbers keep counting
across :meth:`RequestLog.clear`.

With a :class:`Recorder` (``Emulator(record_to=path)``, ``--record FILE``) each record
also carries the request's and response's JSON bodies and is appended to that file as
one JSON line; :func:`read_recording` reads the file back as records to assert on.
Headers are never recorded, so credentials and signatures never reach the file.
"""

from __future__ import annotations

import collections
import json
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any, Literal, TextIO

if sys.version_info >= (3, 11):
    from typing import TypedDict, Unpack
else:  # pragma: no cover - Python 3.10
    from typing_extensions import TypedDict, Unpack

import attrs

from ..errors import ConfigurationError

Outcome = int | Literal["dropped", "reset"]

_ANY: Any = object()


class RecordFilter(TypedDict, total=False):
    """What :meth:`RequestLog.select` and :meth:`RequestLog.count` match: every key given.

    ``committed`` or ``status`` given as ``None`` match any record; the other keys given
    as ``None`` match the records without that value.
    """

    operation: str | None
    committed: bool | None
    status: Outcome | None
    error_code: str | None
    client_token: str | None
    fault: str | None


_NONE_MATCHES_ANY = frozenset({"committed", "status"})


@attrs.frozen(kw_only=True)
class RequestRecord:
    """One API request.

    ``status`` is the HTTP status sent, or ``"dropped"`` (processed, no response) or
    ``"reset"`` (connection closed before processing). ``error_code`` is the error the
    response carried (or would have carried, when dropped). ``committed`` says whether
    the backend executed the operation. ``fault`` names the injected fault, if any.
    ``request`` and ``response`` are the parsed JSON bodies (a string when a body is
    not JSON), kept only while recording; ``None`` otherwise or when nothing was sent.
    """

    sequence: int
    time: float
    operation: str | None
    status: Outcome
    error_code: str | None
    committed: bool
    client_token: str | None
    request_id: str
    fault: str | None = None
    request: Any = None
    response: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data (the control API's form)."""
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequestRecord:
        """A record from its ``to_dict`` form."""
        return cls(**data)


def _decoded(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")


class Recorder:
    """Appends records with their bodies to a JSON-lines file (truncated on open)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path: str = os.fspath(path)
        self._file: TextIO | None = None

    @property
    def is_open(self) -> bool:
        """Whether the file is open (between :meth:`open` and :meth:`close`)."""
        return self._file is not None

    def open(self) -> None:
        """Create or truncate the file; ConfigurationError when it cannot be written."""
        try:
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot record to {self.path}: {exc.strerror or exc}; give a writable file path"
            ) from None

    def write(self, record: RequestRecord) -> None:
        """Append ``record`` as one JSON line, flushed so a crash keeps what was served."""
        if self._file is not None:
            self._file.write(json.dumps(record.to_dict(), default=str) + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file; idempotent."""
        file, self._file = self._file, None
        if file is not None:
            file.close()


def read_recording(path: str | os.PathLike[str]) -> list[RequestRecord]:
    """The records a recording file holds, oldest first, with their bodies.

    Raises ConfigurationError when the file cannot be read or is not a recording.
    """
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read recording {os.fspath(path)}: {exc}") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            records.append(RequestRecord.from_dict(data))
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"{os.fspath(path)} line {number} is not a recorded request ({exc}); "
                "give a file written by Emulator(record_to=...) or --record"
            ) from None
    return records


class RequestLog:
    """The records of the API requests served so far, oldest first."""

    def __init__(self, maxlen: int = 100_000, *, recorder: Recorder | None = None) -> None:
        self._records: collections.deque[RequestRecord] = collections.deque(maxlen=maxlen)
        self._sequence = 0
        self.recorder: Recorder | None = recorder

    @property
    def recording(self) -> bool:
        """Whether records carry bodies (and go to the recorder's file)."""
        return self.recorder is not None

    def record(
        self,
        *,
        time: float,
        operation: str | None,
        status: Outcome,
        error_code: str | None,
        committed: bool,
        client_token: str | None,
        request_id: str,
        fault: str | None = None,
        request: bytes | None = None,
        response: bytes | None = None,
    ) -> RequestRecord:
        """Append one request's record (the server calls this for every request)."""
        self._sequence += 1
        entry = RequestRecord(
            sequence=self._sequence,
            time=time,
            operation=operation,
            status=status,
            error_code=error_code,
            committed=committed,
            client_token=client_token,
            request_id=request_id,
            fault=fault,
            request=_decoded(request) if self.recorder is not None else None,
            response=_decoded(response) if self.recorder is not None else None,
        )
        self._records.append(entry)
        if self.recorder is not None:
            self.recorder.write(entry)
        return entry

    @property
    def records(self) -> list[RequestRecord]:
        return list(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(list(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def select(self, **where: Unpack[RecordFilter]) -> list[RequestRecord]:
        """The records matching every filter given (see :class:`RecordFilter`)."""
        wanted = {
            name: value
            for name, value in where.items()
            if value is not None or name not in _NONE_MATCHES_ANY
        }
        return [
            r
            for r in self._records
            if all(getattr(r, name) == value for name, value in wanted.items())
        ]

    def count(self, **where: Unpack[RecordFilter]) -> int:
        """How many records match every filter given."""
        return len(self.select(**where))

    def last(self, operation: str | None = _ANY) -> RequestRecord | None:
        """The newest record (of ``operation``, if given), or ``None``."""
        matches = self.select() if operation is _ANY else self.select(operation=operation)
        return matches[-1] if matches else None

    def clear(self) -> None:
        """Forget every record."""
        self._records.clear()
