"""A logging filter that keeps AWS secrets out of log output.

aioproton's own records carry no secrets, but at DEBUG botocore logs every signed
request: ``botocore.endpoint`` prints its headers (``X-Amz-Security-Token``,
``Authorization``) and ``botocore.auth`` prints the canonical request and the signature.
:class:`RedactSecrets` removes access key ids, secret keys, session tokens and
signatures from every record it sees. Put it on the handlers (a filter on a logger does
not see records propagated from its children)::

    logging.basicConfig(level=logging.DEBUG)
    aioproton.redaction.install_redaction()  # every handler of the root logger

or in a ``dictConfig``: ``"filters": {"redact": {"()": "aioproton.redaction.RedactSecrets"}}``.
"""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED", "RedactSecrets", "install_redaction", "redact"]

REDACTED = "[REDACTED]"

# A name that announces a secret, then its separator (``=``, ``:``, ``': b'`` of a header
# dict's repr, a newline after botocore's "Signature:"), then the secret itself.
_NAMED_SECRET = re.compile(
    r"(?P<name>(?:aws_)?secret_access_key|secretaccesskey|(?:aws_)?session_token|sessiontoken"
    r"|security_token|x-amz-security-token|x-amz-signature|signature)"
    r"(?P<separator>[\"']?[ \t]*[:=][ \t\r\n]*b?[\"']?)"
    r"(?P<secret>[^\s\"',;&}]+)",
    re.IGNORECASE,
)
# Access key ids: after "Credential=" or a name, or on their own (AKIA..., ASIA...).
# The first four characters (long-term or temporary) stay, to help debugging.
_NAMED_KEY_ID = re.compile(
    r"(?P<name>credential=|(?:aws_)?access_key_id[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"|accesskeyid[\"']?[ \t]*[:=][ \t]*[\"']?)(?P<keep>[A-Za-z0-9]{0,4})(?P<secret>[^/\s\"',]*)",
    re.IGNORECASE,
)
_BARE_KEY_ID = re.compile(r"\b(?P<keep>A(?:KIA|SIA|IDA|ROA|IPA|NPA|NVA|PKA|BIA|CCA))[A-Z0-9]{16}\b")

# The attributes every LogRecord has; anything else came from ``extra=``.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    """``text`` with every AWS secret it contains replaced by ``[REDACTED]``."""
    text = _NAMED_SECRET.sub(rf"\g<name>\g<separator>{REDACTED}", text)
    text = _NAMED_KEY_ID.sub(
        lambda m: m["name"] + m["keep"] + (REDACTED if m["secret"] else ""), text
    )
    return _BARE_KEY_ID.sub(rf"\g<keep>{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrite each record so that no AWS secret reaches the output; never drops one.

    The message is rendered with its arguments and redacted (the record then has no
    arguments), and so are a traceback and string ``extra=`` fields. The record itself
    is changed, so handlers after this one see the redacted text too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message, traceback and string extras in place; keep it."""
        try:
            message = record.getMessage()
        except Exception:
            # Arguments that do not fit the format: logging would print them raw from
            # handleError, so they are shown here, redacted, instead of raising.
            message = f"{record.msg} (arguments that do not fit: {record.args!r})"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in vars(record).items():
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Add :class:`RedactSecrets` to every handler of ``logger`` (default: the root
    logger) that does not have one yet. Handlers added later need their own."""
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
