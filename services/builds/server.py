"""The builds service: cores, connected repositories, builds, build variables,
and BuildWork, the internal RPCs engine workers report builds through."""
from __future__ import annotations

from penumbra.v1 import builds_pb2_grpc, internal_pb2_grpc
from services.common import blobs, config, server
from services.common.db import Database
from services.common.nats import NatsClient

from .builds import BuildService
from .cores import CoreService
from .repositories import RepositoryService
from .store import Builds
from .work import BuildWork

_nats: list[NatsClient] = []


def register(grpc_server, settings: config.Settings):
    db = Database("builds", settings)
    db.migrate()
    nats = NatsClient(settings.nats_url, "builds")
    _nats.append(nats)
    builds = Builds(db, nats, blobs.open_store(settings))
    nats.on_abandoned_work("build", builds.give_up)
    builds_pb2_grpc.add_CoreServiceServicer_to_server(CoreService(db), grpc_server)
    builds_pb2_grpc.add_RepositoryServiceServicer_to_server(RepositoryService(builds), grpc_server)
    builds_pb2_grpc.add_BuildServiceServicer_to_server(BuildService(builds, settings), grpc_server)
    internal_pb2_grpc.add_BuildWorkServicer_to_server(BuildWork(builds), grpc_server)
    return [f"penumbra.v1.{name}" for name in ("CoreService", "RepositoryService", "BuildService",
                                                "BuildWork")]


def _close() -> None:
    for nats in _nats:
        nats.close()


def main() -> None:
    server.serve("builds", register, on_stop=_close)
