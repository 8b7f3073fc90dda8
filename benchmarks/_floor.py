"""The floor: what a call costs with no SDK at all.

One aiohttp session posts a request whose body and SigV4 headers were built in advance
(by botocore's signer, before anything is timed) and decodes the answer with
``json.loads``. No client can do less per call; its column shows how far each is from it.
"""

from __future__ import annotations

import json
from typing import Any

from ._config import ACCESS_KEY_ID, ENVIRONMENT, PAGE_SIZE, SECRET_ACCESS_KEY

TARGET = "AwsProton20200720."
CONTENT_TYPE = "application/x-amz-json-1.0"

#: One prepared request: the body and every header, signature included.
Prepared = tuple[str, dict[str, str]]


def sign(url: str, region: str, operation: str, params: dict[str, Any]) -> Prepared:
    """A request for ``operation``, signed the way botocore signs it (once, untimed)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = json.dumps(params)
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET + operation},
    )
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "proton", region).add_auth(request)
    return body, {name: str(value) for name, value in request.headers.items()}


def get_request(url: str, region: str) -> Prepared:
    return sign(url, region, "GetEnvironment", {"name": ENVIRONMENT})


def list_requests(url: str, region: str, pages: int) -> dict[str, Prepared]:
    """Every page's request, by the ``nextToken`` that leads to it ("" for the first).

    The canned-answer server's tokens are ``p1``, ``p2``... (see ``_canned``).
    """
    prepared = {"": sign(url, region, "ListEnvironments", {"maxResults": PAGE_SIZE})}
    for index in range(1, pages):
        params = {"maxResults": PAGE_SIZE, "nextToken": f"p{index}"}
        prepared[f"p{index}"] = sign(url, region, "ListEnvironments", params)
    return prepared
