"""API errors: raise one of these in a servicer; the server turns it into a gRPC
status with a google.rpc.ErrorInfo, which Envoy renders as a JSON body with the
matching HTTP status (400/401/403/404/409/429/501/503)."""
from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


class ApiError(Exception):
    code = grpc.StatusCode.INTERNAL
    reason = "INTERNAL"

    def __init__(self, message: str, *, reason: str | None = None, **metadata: str):
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        self.metadata = {k: str(v) for k, v in metadata.items()}

    def to_status(self, domain: str) -> grpc.Status:
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=domain, metadata=self.metadata)
        detail = any_pb2.Any()
        detail.Pack(info)
        return rpc_status.to_status(status_pb2.Status(
            code=self.code.value[0], message=self.message, details=[detail]))


class InvalidArgument(ApiError):
    code, reason = grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"


class NotFound(ApiError):
    code, reason = grpc.StatusCode.NOT_FOUND, "NOT_FOUND"


class Unauthenticated(ApiError):
    code, reason = grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED"


class PermissionDenied(ApiError):
    code, reason = grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED"


class Conflict(ApiError):
    """A request that is well-formed but not allowed in the resource's state."""
    code, reason = grpc.StatusCode.FAILED_PRECONDITION, "FAILED_PRECONDITION"


class AlreadyExists(ApiError):
    code, reason = grpc.StatusCode.ALREADY_EXISTS, "ALREADY_EXISTS"


class ResourceExhausted(ApiError):
    code, reason = grpc.StatusCode.RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"


class Unavailable(ApiError):
    code, reason = grpc.StatusCode.UNAVAILABLE, "UNAVAILABLE"
