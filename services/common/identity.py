"""Who is calling: the one server interceptor every service uses.

Envoy's ext_authz check puts the caller's user id in `x-penumbra-user`, and the
gateway route adds `x-penumbra-internal-token`. A service trusts the user header
only together with that token, so a client that reaches a service port directly
(or forges the header through the gateway) gets UNAUTHENTICATED. Peer services
and engine workers send the same token with the user they act for.

An internal gRPC client without the token may instead send an API key in
`authorization` metadata: the interceptor asks the auth service (its ext_authz
Check) whose key it is, caches the answer briefly, and the call runs as the
key's owner (never as a user named in metadata).
"""
from __future__ import annotations

import contextvars
import hashlib
import hmac
import inspect
import logging
import threading
import time
import uuid

import grpc
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc

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


class KeyResolver:
    """API key -> owner, answered by the auth service's Check and cached for
    `ttl` seconds (so a revoked key may keep working that long on internal calls)."""

    def __init__(self, auth_addr: str, token: str, ttl: float = 10.0):
        self.auth_addr, self.token, self.ttl = auth_addr, token, ttl
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._channel: grpc.Channel | None = None

    def resolve(self, key: str, method: str) -> str:
        """The owner's user id; raises ApiError when the key is refused or auth is down."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            user, until = self._cache.get(digest, ("", 0.0))
            if until > now:
                return user
            if self._channel is None:
                self._channel = grpc.insecure_channel(self.auth_addr)
        request = external_auth_pb2.CheckRequest()
        http = request.attributes.request.http
        http.method, http.path = "POST", method
        http.headers["authorization"] = key
        try:
            reply = external_auth_pb2_grpc.AuthorizationStub(self._channel).Check(
                request, timeout=5, metadata=internal_metadata(self.token))
        except grpc.RpcError as exc:
            raise errors.Unavailable("cannot check the API key: the auth service is unreachable "
                                     f"({exc.code().name})")
        user = next((o.header.value for o in reply.ok_response.headers if o.header.key == USER_HEADER), "")
        if not user:
            raise errors.Unauthenticated(reply.denied_response.body or reply.status.message or "API key refused")
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (user, now + self.ttl)
        return user


def _caller_of(md: dict, token: str, resolver: KeyResolver | None, method: str) -> str:
    """The caller's user id; raises ApiError when the call has no valid credential."""
    if hmac.compare_digest(md.get(TOKEN_HEADER, ""), token):
        return md.get(USER_HEADER, "")
    key = md.get("authorization", "").strip()
    if key.lower().startswith("bearer "):
        key = key[7:].strip()
    if key and resolver is not None:
        return resolver.resolve(key, method)
    raise errors.Unauthenticated("requests must come through the Penumbra gateway with an API key")


def _abort(exc: Exception, context: grpc.ServicerContext, domain: str, method: str):
    """Turns an exception from a servicer into its gRPC status (re-raises others)."""
    if isinstance(exc, NotImplementedError):
        context.abort(grpc.StatusCode.UNIMPLEMENTED,
                      f"{method.rsplit('/', 1)[-1]} is not built yet in this version of Penumbra")
    if isinstance(exc, errors.ApiError):
        logger.info("rpc error", extra={"fields": {"method": method, "code": exc.code.name,
                                                   "reason": exc.reason}})
        context.abort_with_status(exc.to_status(domain))
    raise exc


def _guarded_stream(stream, context, domain: str, method: str):
    """A server-streaming reply whose errors, raised while it is read, still
    become proper statuses (the call has returned by then)."""
    try:
        yield from stream
    except Exception as exc:
        _abort(exc, context, domain, method)


def _wrap(behavior, streaming_request: bool, domain: str, token: str, method: str,
          resolver: KeyResolver | None = None):
    open_method = method.startswith(OPEN_PREFIXES)

    def run(request_or_iterator, context: grpc.ServicerContext):
        md = dict(context.invocation_metadata())
        rid = md.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        log.request_id.set(rid)
        try:
            user = "" if open_method else _caller_of(md, token, resolver, method)
        except errors.ApiError as exc:
            context.abort(exc.code, exc.message)
        _caller.set(user)
        try:
            result = behavior(request_or_iterator, context)
        except Exception as exc:
            _abort(exc, context, domain, method)
        if inspect.isgenerator(result):
            return _guarded_stream(result, context, domain, method)
        return result

    return run


class IdentityInterceptor(grpc.ServerInterceptor):
    """Checks the internal token (or an API key, through `resolver`), sets the
    caller, maps ApiError to gRPC status."""

    def __init__(self, domain: str, token: str, resolver: KeyResolver | None = None):
        self.domain, self.token, self.resolver = domain, token, resolver

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap(handler.unary_unary, False, self.domain, self.token, method, self.resolver),
                handler.request_deserializer, handler.response_serializer)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _wrap(handler.unary_stream, False, self.domain, self.token, method, self.resolver),
                handler.request_deserializer, handler.response_serializer)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                _wrap(handler.stream_unary, True, self.domain, self.token, method, self.resolver),
                handler.request_deserializer, handler.response_serializer)
        return grpc.stream_stream_rpc_method_handler(
            _wrap(handler.stream_stream, True, self.domain, self.token, method, self.resolver),
            handler.request_deserializer, handler.response_serializer)
