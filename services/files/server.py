"""The files service: per-user file tree, data sets and shards, artifacts."""
from __future__ import annotations

from penumbra.v1 import files_pb2_grpc, internal_pb2_grpc
from services.common import config, server


def register(grpc_server, settings: config.Settings):
    return (server.add_unbuilt(grpc_server, files_pb2_grpc, "FileService", "DataService")
            + server.add_unbuilt(grpc_server, internal_pb2_grpc, "FileWork"))


def main() -> None:
    server.serve("files", register)
