"""Production logging: one JSON object per record, secrets redacted, for a log shipper.

Every layer logs on its own logger (``aioproton.client``, ``aioproton.workflow.waiter``,
``aioproton.workflow.idempotency``, ...) with its facts as ``extra=`` fields (operation,
attempt, delay, error_code, request_id, retry_safe, idempotency_key, target_arn,
deployment_id, status): a JSON formatter only has to copy them. INFO shows state
changes, retries of requests whose outcome was unclear, and reconciliation verdicts;
DEBUG adds every attempt and poll.

    python examples/production_logging.py           # INFO
    python examples/production_logging.py --debug   # every attempt and poll
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import sys

import anyio
from _workload import daemon_client, run

from aioproton.redaction import install_redaction

#: The attributes every LogRecord has; anything else came from ``extra=``.
STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601 UTC), level, logger, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        document = {
            "time": when.isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(
            {k: v for k, v in vars(record).items() if k not in STANDARD and v is not None}
        )
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def configure(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("aioproton").setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("aioproton.emulator").setLevel(logging.WARNING)  # the server side
    install_redaction()  # on every handler of the root logger: no secret reaches the output


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="every attempt and poll too")
    args = parser.parse_args()
    configure(args.debug)
    async with daemon_client() as (proton, emulator):
        await run(proton, emulator)


if __name__ == "__main__":
    anyio.run(main)
