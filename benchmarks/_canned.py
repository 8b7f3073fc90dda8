"""A canned-answer Proton server: ``python -m benchmarks._canned BODIES``.

The emulator does real work per request and saturates at a few thousand calls a second
on one core, past which a throughput figure measures the emulator, not the client. This
server answers GetEnvironment and ListEnvironments with bodies prepared in advance (the
emulator's own answers, see :func:`bodies`), from a bare asyncio protocol: it costs a
few microseconds a request, so the client is what is measured. ``BODIES`` is a JSON file
``{"get": str, "pages": [str, ...]}``; page ``i`` is asked for with the ``nextToken``
``"p<i>"`` that page ``i - 1`` carries. It prints its URL, then serves until stopped.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

TARGET_PREFIX = "AwsProton20200720."
_HEAD_END = b"\r\n\r\n"


def _response(status: int, body: bytes) -> bytes:
    reason = {200: "OK", 400: "Bad Request"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"Content-Length: {len(body)}\r\n"
        "x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n"
        "\r\n"
    )
    return head.encode() + body


def _error(code: str, message: str) -> bytes:
    return _response(400, json.dumps({"__type": code, "message": message}).encode())


class Answers:
    """Every response, rendered to bytes once."""

    def __init__(self, get: str, pages: list[str]) -> None:
        self.get = _response(200, get.encode())
        self.pages = [_response(200, page.encode()) for page in pages]

    def answer(self, target: str, body: bytes) -> bytes:
        operation = target.removeprefix(TARGET_PREFIX)
        if operation == "GetEnvironment":
            return self.get
        if operation == "ListEnvironments":
            try:
                token = str(json.loads(body or b"{}").get("nextToken") or "p0")
            except (ValueError, AttributeError):
                return _error("SerializationException", "the body is not a JSON object")
            index = int(token[1:]) if token[1:].isdigit() else -1
            if 0 <= index < len(self.pages):
                return self.pages[index]
            return _error("ValidationException", f"unknown nextToken {token!r}")
        return _error("UnknownOperationException", f"{target!r} is not canned here")


class _Connection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and Content-Length bodies: all the clients send."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(_HEAD_END)) >= 0:
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            start = end + len(_HEAD_END)
            if len(self.buffer) < start + length:
                return
            body = bytes(self.buffer[start : start + length])
            del self.buffer[: start + length]
            assert self.transport is not None
            self.transport.write(self.answers.answer(headers.get("x-amz-target", ""), body))


async def serve(data: dict[str, Any]) -> None:
    answers = Answers(data["get"], data["pages"])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(answers), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def bodies(get: dict[str, Any], summary: dict[str, Any], items: int, page_size: int) -> str:
    """The BODIES file's text: ``items`` copies of one environment summary, renamed, paged."""
    pages: list[str] = []
    for start in range(0, items, page_size):
        environments = []
        for index in range(start, min(items, start + page_size)):
            name = f"canned-{index:05d}"
            arn = summary["arn"].rpartition("/")[0] + "/" + name
            environments.append({**summary, "name": name, "arn": arn})
        page: dict[str, Any] = {"environments": environments}
        if start + page_size < items:
            page["nextToken"] = f"p{len(pages) + 1}"
        pages.append(json.dumps(page))
    return json.dumps({"get": json.dumps(get), "pages": pages})


class CannedServer:
    """The server in a process of its own, pinned by the caller; stopped on exit."""

    def __init__(self, bodies_text: str) -> None:
        self._bodies = bodies_text
        self.url = ""
        self.pid = 0
        self._process: subprocess.Popen[str] | None = None
        self._file: IO[str] | None = None

    def __enter__(self) -> CannedServer:
        self._file = tempfile.NamedTemporaryFile("w", suffix=".json")
        self._file.write(self._bodies)
        self._file.flush()
        command = [sys.executable, "-m", "benchmarks._canned", self._file.name]
        root = str(Path(__file__).resolve().parent.parent)
        self._process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
        self.pid = self._process.pid
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.__exit__(None, None, None)
            raise RuntimeError("the canned-answer server did not start")
        self.url = line
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._file is not None:
            self._file.close()
            self._file = None


if __name__ == "__main__":
    try:
        asyncio.run(serve(json.loads(Path(sys.argv[1]).read_text())))
    except KeyboardInterrupt:
        pass
