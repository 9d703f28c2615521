"""Envoy ext_authz Check: authenticates every gateway request (except /ping).

Runs before the JSON transcoder, so it sees the REST method, path and the exact
body bytes — what a factory client signs. On success the upstream request gets
the caller's user id in `x-penumbra-user`, overwriting anything the client sent.
"""
from __future__ import annotations

import hashlib
import hmac
import logging

from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.type.v3 import http_status_pb2
from google.rpc import code_pb2, status_pb2

from services.common import identity, log

from .keystore import KeyStore

logger = logging.getLogger("auth.check")

FACTORY_KEY_HEADER = "x-singularity-apikey"
FACTORY_SIGNATURE_HEADER = "x-singularity-signature"


def factory_signature(secret: str, method: str, path: str, body: bytes) -> str:
    """hex HMAC-SHA512 of "<METHOD>\\n<path>\\n<body>", as the factory client computes it."""
    message = method.encode() + b"\n" + path.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha512).hexdigest()


def _denied(http_code: int, message: str) -> external_auth_pb2.CheckResponse:
    """The gateway's local-reply format turns `message` into the JSON error body
    ({"code": <HTTP code>, "message": ..., "request_id": ...})."""
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=code_pb2.PERMISSION_DENIED if http_code == 403
                                 else code_pb2.UNAUTHENTICATED, message=message),
        denied_response=external_auth_pb2.DeniedHttpResponse(
            status=http_status_pb2.HttpStatus(code=http_code), body=message))


def _allowed(user_id: str) -> external_auth_pb2.CheckResponse:
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=code_pb2.OK),
        ok_response=external_auth_pb2.OkHttpResponse(headers=[base_pb2.HeaderValueOption(
            header=base_pb2.HeaderValue(key=identity.USER_HEADER, value=user_id),
            append_action=base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD)]))


class Authorization(external_auth_pb2_grpc.AuthorizationServicer):
    def __init__(self, keys: KeyStore):
        self.keys = keys

    def Check(self, request, context):
        http = request.attributes.request.http
        headers = http.headers
        path = http.path.split("?", 1)[0]
        if headers.get(FACTORY_KEY_HEADER):
            result = self._check_factory(http, headers, path)
        else:
            result = self._check_bearer(headers.get("authorization", ""))
        allowed = result.HasField("ok_response")
        log.event(logger, "check", method=http.method, path=path, allowed=allowed,
                  status=result.denied_response.status.code if not allowed else 200)
        return result

    def _check_bearer(self, value: str):
        secret = value.strip()
        if secret.lower().startswith("bearer "):
            secret = secret[7:].strip()
        if not secret:
            return _denied(401, "missing API key: send it in the Authorization header, "
                                    "or sign the request with X-singularity-apikey and "
                                    "X-singularity-signature")
        found = self.keys.check_secret(secret)
        if found.problem:
            return _denied(401, found.problem)
        return _allowed(found.user_id)

    def _check_factory(self, http, headers, path: str):
        found = self.keys.check_key_id(headers[FACTORY_KEY_HEADER].strip())
        if found.problem:
            return _denied(401, found.problem)
        signature = headers.get(FACTORY_SIGNATURE_HEADER, "").strip().lower()
        if not signature:
            return _denied(401, "missing X-singularity-signature header")
        body = http.raw_body if http.raw_body else http.body.encode()
        expected = factory_signature(found.secret, http.method, path, body)
        if not hmac.compare_digest(expected, signature):
            return _denied(403, "the request signature does not match: sign "
                                   "\"<METHOD>\\n<path>\\n<body>\" with HMAC-SHA512 and your key's secret")
        return _allowed(found.user_id)
