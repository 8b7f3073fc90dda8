"""SigV4 for AWS JSON 1.0 requests: one fixed request shape, a signing key cached per day.

botocore's ``SigV4Auth`` builds the canonical request through ``AWSRequest`` and
``email.message`` headers on every call; every Proton request has the same method, path,
query and header names, so only the date, the target, the token and the body hash vary.
``tests/client/test_transport_signing.py`` checks the signature against ``SigV4Auth``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _trim(value: str) -> str:
    """SigV4's Trimall: outer whitespace removed, inner runs collapsed to one space."""
    return " ".join(value.split())


class Signer:
    """Signs requests for one host, region and service.

    ``headers()`` returns the headers to add to a request: ``X-Amz-Date``,
    ``X-Amz-Security-Token`` (when there is a token) and ``Authorization``. The
    derived signing key is kept for the last (secret, day) seen, so a day's calls
    hash five HMACs fewer each.
    """

    def __init__(self, *, host: str, path: str, region: str, service: str) -> None:
        self.host = _trim(host)
        self.path = path
        self.region = region
        self.service = service
        self._key_for: tuple[str, str] | None = None
        self._key = b""
        self._second = -1
        self._amz_date = ""

    def signing_key(self, secret_key: str, day: str) -> bytes:
        if self._key_for != (secret_key, day):
            k_date = _hmac(f"AWS4{secret_key}".encode(), day)
            k_region = _hmac(k_date, self.region)
            k_service = _hmac(k_region, self.service)
            self._key = _hmac(k_service, "aws4_request")
            self._key_for = (secret_key, day)
        return self._key

    def amz_date(self, now: float | None = None) -> str:
        """``YYYYMMDDTHHMMSSZ`` for ``now`` (epoch seconds, default the current time)."""
        second = int(time.time() if now is None else now)
        if second != self._second:
            self._amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
            self._second = second
        return self._amz_date

    def headers(
        self,
        *,
        content_type: str,
        target: str,
        body: bytes,
        access_key: str,
        secret_key: str,
        token: str | None,
        amz_date: str,
    ) -> dict[str, str]:
        day = amz_date[:8]
        if token:
            signed = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
            canonical_headers = (
                f"content-type:{_trim(content_type)}\nhost:{self.host}\n"
                f"x-amz-date:{amz_date}\nx-amz-security-token:{_trim(token)}\n"
                f"x-amz-target:{_trim(target)}\n"
            )
        else:
            signed = "content-type;host;x-amz-date;x-amz-target"
            canonical_headers = (
                f"content-type:{_trim(content_type)}\nhost:{self.host}\n"
                f"x-amz-date:{amz_date}\nx-amz-target:{_trim(target)}\n"
            )
        canonical_request = (
            f"POST\n{self.path}\n\n{canonical_headers}\n{signed}\n"
            f"{hashlib.sha256(body).hexdigest()}"
        )
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        string_to_sign = (
            f"{ALGORITHM}\n{amz_date}\n{scope}\n"
            f"{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"
        )
        signature = hmac.new(
            self.signing_key(secret_key, day), string_to_sign.encode("utf-8"), hashlib.sha256
        ).hexdigest()
        headers = {
            "X-Amz-Date": amz_date,
            "Authorization": (
                f"{ALGORITHM} Credential={access_key}/{scope}, "
                f"SignedHeaders={signed}, Signature={signature}"
            ),
        }
        if token:
            headers["X-Amz-Security-Token"] = token
        return headers
