"""The tasks service: tasks, outputs, values (samples, plots), factory batches and jobs."""
from __future__ import annotations

import threading

import grpc

from penumbra.v1 import builds_pb2_grpc, internal_pb2_grpc, tasks_pb2_grpc
from services.common import config, server
from services.common.blobs import open_store
from services.common.db import Database
from services.common.nats import NatsClient

from .context import Ctx
from .tasks import TaskService
from .values import ValueService, warm_up
from .work import TaskWork, give_up


def register(grpc_server, settings: config.Settings):
    db = Database("tasks", settings)
    db.migrate()
    ctx = Ctx(settings=settings, db=db, blobs=open_store(settings),
              nats=NatsClient(settings.nats_url, "tasks-service"),
              builds=builds_pb2_grpc.BuildServiceStub(grpc.insecure_channel(settings.service_addr("builds"))))
    ctx.nats.on_abandoned_work("task", lambda task_id, deliveries: give_up(ctx, task_id, deliveries))
    threading.Thread(target=warm_up, name="plot-warm-up", daemon=True).start()
    tasks_pb2_grpc.add_TaskServiceServicer_to_server(TaskService(ctx), grpc_server)
    tasks_pb2_grpc.add_ValueServiceServicer_to_server(ValueService(ctx), grpc_server)
    internal_pb2_grpc.add_TaskWorkServicer_to_server(TaskWork(ctx), grpc_server)
    return (["penumbra.v1.TaskService", "penumbra.v1.ValueService", "penumbra.v1.TaskWork"]
            + server.add_unbuilt(grpc_server, tasks_pb2_grpc, "FactoryService")
            + server.add_unbuilt(grpc_server, internal_pb2_grpc, "FactoryWork"))


def main() -> None:
    server.serve("tasks", register)
