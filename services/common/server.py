"""gRPC server bootstrap shared by every service: identity interceptor, health
checking (grpc.health.v1) for each registered service, reflection, graceful stop."""
from __future__ import annotations

import signal
import threading
from concurrent import futures
from typing import Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from . import config, identity, log

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def add_unbuilt(grpc_server: grpc.Server, grpc_module, *service_names: str) -> list[str]:
    """Registers the generated base servicers of features not built yet: every
    RPC answers UNIMPLEMENTED (HTTP 501), never fake data."""
    for name in service_names:
        getattr(grpc_module, f"add_{name}Servicer_to_server")(
            getattr(grpc_module, f"{name}Servicer")(), grpc_server)
    return [f"penumbra.v1.{name}" for name in service_names]


def serve(name: str, register: Callable[[grpc.Server, config.Settings], Iterable[str]],
          *, on_stop: Callable[[], None] | None = None, max_workers: int = 16) -> None:
    """Run service `name` until SIGTERM/SIGINT.

    `register(server, settings)` adds the servicers and returns the fully
    qualified names of the services it added (for health and reflection).
    """
    settings = config.load()
    logger = log.setup(name, settings.log_level)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name),
        interceptors=[identity.IdentityInterceptor(
            f"{name}.penumbra", settings.internal_token,
            identity.KeyResolver(settings.service_addr("auth"), settings.internal_token))],
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                 ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)])
    names = list(register(server, settings))
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for service_name in names + [""]:
        health_servicer.set(service_name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(names + [health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    addr = settings.service_addr(name)
    server.add_insecure_port(addr)
    server.start()
    log.event(logger, "service started", service=name, addr=addr, services=names)

    stopped = threading.Event()

    def stop(signum, _frame):
        log.event(logger, "service stopping", service=name, signal=signum)
        health_servicer.enter_graceful_shutdown()
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopped.wait()
    if on_stop:
        on_stop()
    server.stop(grace=3).wait()
