"""The tasks service: tasks, outputs, values (samples, plots), factory batches and jobs."""
from __future__ import annotations

from penumbra.v1 import internal_pb2_grpc, tasks_pb2_grpc
from services.common import config, server


def register(grpc_server, settings: config.Settings):
    return (server.add_unbuilt(grpc_server, tasks_pb2_grpc, "TaskService", "ValueService",
                               "FactoryService")
            + server.add_unbuilt(grpc_server, internal_pb2_grpc, "TaskWork", "FactoryWork"))


def main() -> None:
    server.serve("tasks", register)
