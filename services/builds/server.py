"""The builds service: cores, connected repositories, builds, build variables."""
from __future__ import annotations

from penumbra.v1 import builds_pb2_grpc, internal_pb2_grpc
from services.common import config, server


def register(grpc_server, settings: config.Settings):
    return (server.add_unbuilt(grpc_server, builds_pb2_grpc, "CoreService", "RepositoryService",
                               "BuildService")
            + server.add_unbuilt(grpc_server, internal_pb2_grpc, "BuildWork"))


def main() -> None:
    server.serve("builds", register)
