"""Who is calling: the one server interceptor every service uses.

Envoy's ext_authz check puts the caller's user id in `x-penumbra-user`, and the
gateway route adds `x-penumbra-internal-token`. A service trusts the user header
only together with that token, so a client that reaches a service port directly
(or forges the header through the gateway) gets UNAUTHENTICATED. Peer services
and engine workers send the same token with the user they act for.
"""
from __future__ import annotations

import contextvars
import hmac
import logging
import uuid

import grpc

from . import errors, log

USER_HEADER = "x-penumbra-user"
TOKEN_HEADER = "x-penumbra-internal-token"
REQUEST_ID_HEADER = "x-request-id"

_caller: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="")

# Methods any peer may call without the internal token (probes and tooling).
OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

logger = logging.getLogger("penumbra.rpc")


def caller() -> str:
    """The user id of the current request; empty for internal calls with no user."""
    return _caller.get()


def require_user() -> str:
    user = _caller.get()
    if not user:
        raise errors.Unauthenticated("this call needs a user: send an API key")
    return user


def internal_metadata(token: str, user: str = "") -> list[tuple[str, str]]:
    """Metadata for a service-to-service call."""
    md = [(TOKEN_HEADER, token)]
    if user:
        md.append((USER_HEADER, user))
    return md


def _wrap(behavior, streaming_request: bool, domain: str, token: str, method: str):
    open_method = method.startswith(OPEN_PREFIXES)

    def run(request_or_iterator, context: grpc.ServicerContext):
        md = dict(context.invocation_metadata())
        rid = md.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        log.request_id.set(rid)
        if not open_method and not hmac.compare_digest(md.get(TOKEN_HEADER, ""), token):
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          "requests must come through the Penumbra gateway with an API key")
        _caller.set(md.get(USER_HEADER, ""))
        try:
            return behavior(request_or_iterator, context)
        except NotImplementedError:
            context.abort(grpc.StatusCode.UNIMPLEMENTED,
                          f"{method.rsplit('/', 1)[-1]} is not built yet in this version of Penumbra")
        except errors.ApiError as exc:
            logger.info("rpc error", extra={"fields": {"method": method, "code": exc.code.name,
                                                       "reason": exc.reason}})
            context.abort_with_status(exc.to_status(domain))

    return run


class IdentityInterceptor(grpc.ServerInterceptor):
    """Checks the internal token, sets the caller, maps ApiError to gRPC status."""

    def __init__(self, domain: str, token: str):
        self.domain, self.token = domain, token

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap(handler.unary_unary, False, self.domain, self.token, method),
                handler.request_deserializer, handler.response_serializer)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _wrap(handler.unary_stream, False, self.domain, self.token, method),
                handler.request_deserializer, handler.response_serializer)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                _wrap(handler.stream_unary, True, self.domain, self.token, method),
                handler.request_deserializer, handler.response_serializer)
        return grpc.stream_stream_rpc_method_handler(
            _wrap(handler.stream_stream, True, self.domain, self.token, method),
            handler.request_deserializer, handler.response_serializer)
