"""GET /health: real gRPC health checks of every service, plus NATS.

The reply has the Signaloid shape; when anything is unhealthy the HTTP status
is 503 (through the gateway's x-penumbra-http-status hook) so monitors that
only look at status codes see the platform is degraded.
"""
from __future__ import annotations

import datetime as dt
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from penumbra.v1 import events_pb2, events_pb2_grpc
from services.common import config

CHECK_TIMEOUT_S = 1.0


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HealthService(events_pb2_grpc.HealthServiceServicer):
    def __init__(self, settings: config.Settings, nats_client):
        self.nats = nats_client
        # Channels reconnect by themselves; short backoff so a restarted service
        # shows healthy within a second, not after gRPC's default 2-minute cap.
        options = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 1000)]
        self.stubs = {name: health_pb2_grpc.HealthStub(
                          grpc.insecure_channel(settings.service_addr(name), options=options))
                      for name in config.SERVICES}
        self.pool = futures.ThreadPoolExecutor(max_workers=len(self.stubs) + 1)

    def _check_service(self, name: str) -> events_pb2.ServiceHealth:
        started = time.monotonic()
        error = None
        try:
            reply = self.stubs[name].Check(health_pb2.HealthCheckRequest(), timeout=CHECK_TIMEOUT_S,
                                           wait_for_ready=True)
            if reply.status != health_pb2.HealthCheckResponse.SERVING:
                error = "reports " + health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError as exc:
            error = f"unreachable: {exc.code().name}"
        return self._entry(name, started, error)

    def _check_nats(self) -> events_pb2.ServiceHealth:
        started = time.monotonic()
        error = None
        try:
            self.nats.call(self.nats.nc.flush(timeout=CHECK_TIMEOUT_S), timeout=CHECK_TIMEOUT_S + 1)
        except Exception as exc:   # any failure of the round trip means NATS is not usable
            error = f"unreachable: {type(exc).__name__}"
        return self._entry("nats", started, error)

    @staticmethod
    def _entry(name: str, started: float, error: str | None) -> events_pb2.ServiceHealth:
        details = events_pb2.HealthDetails(response_time=int((time.monotonic() - started) * 1000))
        if error:
            details.error = error
        return events_pb2.ServiceHealth(service=name, status="unhealthy" if error else "healthy",
                                        timestamp=_now(), details=details)

    def GetHealth(self, request, context):
        checks = [self.pool.submit(self._check_service, name) for name in self.stubs]
        checks.append(self.pool.submit(self._check_nats))
        entries = [c.result() for c in checks]
        if any(e.status != "healthy" for e in entries):
            context.send_initial_metadata([("x-penumbra-http-status", "503")])
        return events_pb2.HealthResponse(timestamp=_now(), services=entries)
