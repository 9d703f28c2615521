"""Envoy ext_authz Check: authenticates every gateway request (except /ping).

Runs before the JSON transcoder, so it sees the REST method, path and the exact
body bytes — what a factory client signs. On success the upstream request gets
the caller's user id in `x-penumbra-user`, overwriting anything the client sent.

Credentials, in the order they are looked for:
* factory style: `X-singularity-apikey` + `X-singularity-signature`, optionally
  with `X-singularity-timestamp` (then signed too, and replay-protected);
* Signaloid style: `Authorization: <key>` (or `Bearer <key>`);
* a signed-URL `?token=` (services/common/urltokens.py), for links handed out
  to be fetched without a key.

Denials: 401 for a missing/unknown/revoked/expired key, a stale timestamp or a
replay; 403 for a signature that does not match; 429 with Retry-After when the
key's rate limit is used up.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from urllib.parse import parse_qs

from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.type.v3 import http_status_pb2
from google.rpc import code_pb2, status_pb2

from services.common import identity, log

from services.common import urltokens
from .guards import RateLimiter, ReplayCache, retry_after_header
from .keystore import KeyStore

logger = logging.getLogger("auth.check")

FACTORY_KEY_HEADER = "x-singularity-apikey"
FACTORY_SIGNATURE_HEADER = "x-singularity-signature"
FACTORY_TIMESTAMP_HEADER = "x-singularity-timestamp"
# A timestamped signature is accepted this many seconds either side of the server clock.
TIMESTAMP_WINDOW = 300

_GRPC_CODES = {401: code_pb2.UNAUTHENTICATED, 403: code_pb2.PERMISSION_DENIED,
               429: code_pb2.RESOURCE_EXHAUSTED}


def factory_signature(secret: str, method: str, path: str, body: bytes,
                      timestamp: str | None = None) -> str:
    """hex HMAC-SHA512 as the factory client computes it: of "<METHOD>\\n<path>\\n<body>";
    with a timestamp header, of "<timestamp>\\n<METHOD>\\n<path>\\n<body>".

    The timestamp goes first so the two forms can never sign the same text: the
    second line of the plain form is a path (starts with "/"), of the timestamped
    form a method. (Were it after the path, a captured timestamped request could
    be replayed without its header as a plain one with "<timestamp>\\n" prepended
    to the body.)
    """
    message = method.encode() + b"\n" + path.encode() + b"\n" + body
    if timestamp is not None:
        message = timestamp.encode() + b"\n" + message
    return hmac.new(secret.encode(), message, hashlib.sha512).hexdigest()


def _denied(http_code: int, message: str, headers: dict[str, str] | None = None):
    """The gateway's local-reply format turns `message` into the JSON error body
    ({"code": <HTTP code>, "message": ..., "request_id": ...})."""
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=_GRPC_CODES.get(http_code, code_pb2.PERMISSION_DENIED),
                                 message=message),
        denied_response=external_auth_pb2.DeniedHttpResponse(
            status=http_status_pb2.HttpStatus(code=http_code), body=message,
            headers=[base_pb2.HeaderValueOption(header=base_pb2.HeaderValue(key=k, value=v))
                     for k, v in (headers or {}).items()]))


def _allowed(user_id: str) -> external_auth_pb2.CheckResponse:
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=code_pb2.OK),
        ok_response=external_auth_pb2.OkHttpResponse(headers=[base_pb2.HeaderValueOption(
            header=base_pb2.HeaderValue(key=identity.USER_HEADER, value=user_id),
            append_action=base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD)]))


def user_of(response: external_auth_pb2.CheckResponse) -> str:
    """The user id an allowing CheckResponse grants ('' when denied)."""
    for option in response.ok_response.headers:
        if option.header.key == identity.USER_HEADER:
            return option.header.value
    return ""


class Authorization(external_auth_pb2_grpc.AuthorizationServicer):
    def __init__(self, keys: KeyStore, limiter: RateLimiter, url_secret: str, clock=time.time):
        self.keys, self.limiter, self.url_secret, self.clock = keys, limiter, url_secret, clock
        self.replays = ReplayCache(TIMESTAMP_WINDOW, clock)

    def Check(self, request, context):
        http = request.attributes.request.http
        headers = http.headers
        path, _, query = http.path.partition("?")
        if headers.get(FACTORY_KEY_HEADER):
            result = self._check_factory(http, headers, path)
        elif headers.get("authorization", "").strip():
            result = self._check_bearer(headers["authorization"])
        elif "token" in (params := parse_qs(query)):
            result = self._check_url_token(params["token"][0], http.method, path)
        else:
            result = _denied(401, "missing API key: send it in the Authorization header, "
                                  "or sign the request with X-singularity-apikey and "
                                  "X-singularity-signature")
        allowed = result.HasField("ok_response")
        log.event(logger, "check", method=http.method, path=path, allowed=allowed,
                  status=result.denied_response.status.code if not allowed else 200,
                  request_id=headers.get(identity.REQUEST_ID_HEADER, ""))
        return result

    def _limited(self, key_id: str, user_id: str):
        """The allowing response, or 429 when the key has used up its rate."""
        wait = self.limiter.acquire(key_id)
        if wait:
            seconds = retry_after_header(wait)
            return _denied(429, f"too many requests with this API key: retry after {seconds} s",
                           {"retry-after": seconds})
        return _allowed(user_id)

    def _check_bearer(self, value: str):
        secret = value.strip()
        if secret.lower().startswith("bearer "):
            secret = secret[7:].strip()
        found = self.keys.check_secret(secret)
        if found.problem:
            return _denied(401, found.problem)
        return self._limited(found.key_id, found.user_id)

    def _check_factory(self, http, headers, path: str):
        found = self.keys.check_key_id(headers[FACTORY_KEY_HEADER].strip())
        if found.problem:
            return _denied(401, found.problem)
        signature = headers.get(FACTORY_SIGNATURE_HEADER, "").strip().lower()
        if not signature:
            return _denied(401, "missing X-singularity-signature header")
        timestamp = headers.get(FACTORY_TIMESTAMP_HEADER)
        when = None
        if timestamp is not None:
            timestamp = timestamp.strip()
            try:
                when = float(timestamp)
            except ValueError:
                when = float("nan")
            if when != when or when <= 0:
                return _denied(401, "X-singularity-timestamp must be Unix time in seconds, "
                                    "e.g. 1767225600 or 1767225600.125")
        body = http.raw_body if http.raw_body else http.body.encode()
        expected = factory_signature(found.secret, http.method, path, body, timestamp)
        if not hmac.compare_digest(expected, signature):
            signed = ("\"<timestamp>\\n<METHOD>\\n<path>\\n<body>\"" if timestamp is not None
                      else "\"<METHOD>\\n<path>\\n<body>\"")
            return _denied(403, f"the request signature does not match: sign {signed} "
                                "with HMAC-SHA512 and your key's secret")
        if when is not None:
            skew = when - self.clock()
            if abs(skew) > TIMESTAMP_WINDOW:
                return _denied(401, f"X-singularity-timestamp is {abs(skew):.0f} s "
                                    f"{'ahead of' if skew > 0 else 'behind'} the server's clock "
                                    f"(allowed: {TIMESTAMP_WINDOW} s): sign with the current time")
            if not self.replays.first_use(found.key_id, signature, when):
                return _denied(401, "this signed request was already used: sign every request "
                                    "with a fresh X-singularity-timestamp (a fraction of a second "
                                    "tells two identical requests apart)")
        result = self._limited(found.key_id, found.user_id)
        if when is not None and not result.HasField("ok_response"):
            self.replays.forget(found.key_id, signature)
        return result

    def _check_url_token(self, token: str, method: str, path: str):
        user, problem = urltokens.verify(self.url_secret, token, method, path)
        if problem:
            return _denied(401, problem)
        if not self.keys.user_exists(user):
            return _denied(401, "this link's user no longer exists")
        return _allowed(user)
