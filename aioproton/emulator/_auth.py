"""SigV4 for the emulator: who is calling (account, region) and, in strict mode, proof.

Three modes:

- ``signed`` (default): any well-formed ``AWS4-HMAC-SHA256`` header is accepted; the
  access key picks the account and the credential scope picks the region. This is what
  unmodified SDKs need, without sharing a secret with the emulator.
- ``strict``: the signature is recomputed with the secret of the access key, so tests
  can exercise wrong secrets and tampered bodies. As AWS does, a request whose
  ``X-Amz-Date`` is more than 15 minutes (``max_skew``) from the emulator's clock is
  refused with ``InvalidSignatureException`` ("Signature expired: ..." or "Signature
  not yet current: ..."), which also refuses a captured request replayed later. SDKs
  sign with wall time, so the check needs an emulator clock that follows wall time:
  ``resolve_clock_skew("auto", clock)`` turns it on for a ``SystemClock`` only; give a
  number of seconds (``Emulator(auth_clock_skew=...)``, ``--auth-clock-skew``) to
  check a manual or scaled clock too, or ``None``/``off`` to never check.
- ``none``: no ``Authorization`` header needed; every call runs as the default account
  in the default region.

Secrets and signatures are never logged and never stored in the request log.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import math
import re
import urllib.parse
from collections.abc import Mapping
from typing import Literal

import attrs
from multidict import MultiMapping

from ..clock import Clock, SystemClock
from .errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

AuthMode = Literal["signed", "strict", "none"]
AUTH_MODES: tuple[AuthMode, ...] = ("signed", "strict", "none")

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "proton"
DEFAULT_ACCOUNT_ID = "123456789012"

_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_DATE = re.compile(r"^[0-9]{8}$")
_AMZ_DATE = re.compile(r"^[0-9]{8}T[0-9]{6}Z$")
_REGION = re.compile(r"^[a-z0-9-]{1,64}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_HEADER_NAME = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]+$")
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

#: How far AWS lets ``X-Amz-Date`` stray from its own clock, in seconds.
DEFAULT_CLOCK_SKEW = 900.0

ClockSkew = float | None | Literal["auto"]


def resolve_clock_skew(value: ClockSkew, clock: Clock) -> float | None:
    """The skew strict auth allows against ``clock``: ``"auto"`` means AWS's 15 minutes
    for a ``SystemClock`` and no check for a simulated (manual, scaled) clock."""
    if value == "auto":
        return DEFAULT_CLOCK_SKEW if isinstance(clock, SystemClock) else None
    return _skew_seconds(value)


def _skew_seconds(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"auth_clock_skew must be seconds, None or 'auto', got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"auth_clock_skew must be a non-negative number, got {value!r}")
    return float(value)


def _amz_time(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.strftime(_AMZ_DATE_FORMAT)


def _window(seconds: float) -> str:
    return f"{seconds / 60:g} min." if seconds % 60 == 0 else f"{seconds:g} sec."


def check_clock_skew(amz_date: str, now: float, max_skew: float) -> None:
    """InvalidSignatureException, in AWS's words, for a date outside ``now ± max_skew``."""
    try:
        signed = datetime.datetime.strptime(amz_date, _AMZ_DATE_FORMAT)
    except ValueError:
        raise IncompleteSignatureException(
            f"X-Amz-Date {amz_date} is not a valid date in the form YYYYMMDDTHHMMSSZ"
        ) from None
    at = signed.replace(tzinfo=datetime.timezone.utc).timestamp()
    if at < now - max_skew:
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is now earlier than {_amz_time(now - max_skew)} "
            f"({_amz_time(now)} - {_window(max_skew)})"
        )
    if at > now + max_skew:
        raise InvalidSignatureException(
            f"Signature not yet current: {amz_date} is still later than "
            f"{_amz_time(now + max_skew)} ({_amz_time(now)} + {_window(max_skew)})"
        )


@attrs.frozen
class Caller:
    """Who the request runs as."""

    account_id: str
    region: str
    access_key_id: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class Authorization:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 ...`` header."""

    access_key_id: str = attrs.field(repr=False)
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str = attrs.field(repr=False)

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(value: str) -> Authorization:
    """Split the header into its parts, or raise IncompleteSignatureException."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(
            f"unsupported authorization scheme; expected {ALGORITHM}"
        )
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, part = item.strip().partition("=")
        if not sep or key in parts:
            raise IncompleteSignatureException(
                "the Authorization header must be 'Credential=..., SignedHeaders=..., "
                "Signature=...'"
            )
        parts[key] = part
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not parts.get(k)]
    if missing:
        raise IncompleteSignatureException(f"the Authorization header lacks {', '.join(missing)}")
    credential = parts["Credential"].split("/")
    if (
        len(credential) != 5
        or not credential[0]
        or not _DATE.match(credential[1])
        or not _REGION.match(credential[2])
        or not credential[3]
        or credential[4] != "aws4_request"
    ):
        raise IncompleteSignatureException(
            "the credential must be 'ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request'"
        )
    signed = tuple(parts["SignedHeaders"].split(";"))
    if not all(_HEADER_NAME.match(name) for name in signed):
        raise IncompleteSignatureException("SignedHeaders must be lower-case names joined by ';'")
    if not _SIGNATURE.match(parts["Signature"]):
        raise IncompleteSignatureException("the signature must be 64 lower-case hex digits")
    return Authorization(
        access_key_id=credential[0],
        date=credential[1],
        region=credential[2],
        service=credential[3],
        signed_headers=signed,
        signature=parts["Signature"],
    )


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def _canonical_query(query_string: str) -> str:
    pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    encoded = sorted(
        (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~")) for k, v in pairs
    )
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_request(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: MultiMapping[str],
    signed_headers: tuple[str, ...],
    body: bytes,
) -> str:
    """The SigV4 canonical request over exactly the headers the client signed."""
    lines = []
    for name in sorted(signed_headers):
        values = headers.getall(name, [])
        if not values:
            raise InvalidSignatureException(f"signed header {name!r} is missing from the request")
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}\n")
    canonical_path = urllib.parse.quote(urllib.parse.unquote(path) or "/", safe="/~")
    return "\n".join(
        [
            method.upper(),
            canonical_path,
            _canonical_query(query_string),
            "".join(lines),
            ";".join(sorted(signed_headers)),
            hashlib.sha256(body).hexdigest(),
        ]
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


class Authenticator:
    """Decides, per request, which account and region it runs as (or refuses it)."""

    def __init__(
        self,
        mode: AuthMode,
        *,
        credentials: Mapping[str, str],
        accounts: Mapping[str, str],
        default_region: str,
        default_account_id: str = DEFAULT_ACCOUNT_ID,
        clock: Clock | None = None,
        max_skew: float | None = None,
    ) -> None:
        """``max_skew`` (strict mode, with a ``clock``): see :func:`resolve_clock_skew`."""
        if mode not in AUTH_MODES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)}, got {mode!r}")
        for key, account in accounts.items():
            if not _ACCOUNT_ID.match(account):
                raise ValueError(f"account for access key {key!r} must be 12 digits")
        if not _ACCOUNT_ID.match(default_account_id):
            raise ValueError("the default account id must be 12 digits")
        if max_skew is not None and clock is None:
            raise ValueError("a clock skew check needs the clock to check against")
        self.mode: AuthMode = mode
        self.clock = clock
        self.max_skew = _skew_seconds(max_skew)
        self._credentials = dict(credentials)
        self._accounts = dict(accounts)
        self.default_region = default_region
        self.default_account_id = default_account_id

    def account_for(self, access_key_id: str) -> str:
        return self._accounts.get(access_key_id, self.default_account_id)

    def authenticate(
        self,
        *,
        method: str,
        path: str,
        query_string: str,
        headers: MultiMapping[str],
        body: bytes,
    ) -> Caller:
        if self.mode == "none":
            return Caller(self.default_account_id, self.default_region)
        header = headers.get("Authorization")
        if not header:
            raise MissingAuthenticationTokenException(
                "Missing Authentication Token: sign the request with SigV4"
            )
        auth = parse_authorization(header)
        if self.mode == "strict":
            self._verify(auth, method, path, query_string, headers, body)
        return Caller(self.account_for(auth.access_key_id), auth.region, auth.access_key_id)

    def _verify(
        self,
        auth: Authorization,
        method: str,
        path: str,
        query_string: str,
        headers: MultiMapping[str],
        body: bytes,
    ) -> None:
        secret = self._credentials.get(auth.access_key_id)
        if secret is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        if auth.service != SERVICE:
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{SERVICE}'."
            )
        amz_date = headers.get("X-Amz-Date")
        if not amz_date or not _AMZ_DATE.match(amz_date):
            raise IncompleteSignatureException(
                "the request needs an X-Amz-Date header in the form YYYYMMDDTHHMMSSZ"
            )
        if amz_date[:8] != auth.date:
            raise InvalidSignatureException(
                "the date in the credential scope does not match X-Amz-Date"
            )
        if self.max_skew is not None and self.clock is not None:
            check_clock_skew(amz_date, self.clock.now(), self.max_skew)
        if "host" not in auth.signed_headers:
            raise InvalidSignatureException("the Host header must be signed")
        canonical = canonical_request(
            method=method,
            path=path,
            query_string=query_string,
            headers=headers,
            signed_headers=auth.signed_headers,
            body=body,
        )
        key = signing_key(secret, auth.date, auth.region, auth.service)
        expected = hmac.new(
            key, string_to_sign(amz_date, auth.scope, canonical).encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, auth.signature):
            raise InvalidSignatureException(
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method."
            )
