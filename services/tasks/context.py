"""What the tasks servicers share: database, blob store, NATS, the builds
service client, owner-scoped lookups, status transitions with their events,
and the gateway URLs handed out for outputs and plots."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import grpc

from penumbra.v1 import builds_pb2, builds_pb2_grpc, common_pb2, tasks_pb2
from services.common import config, errors, identity, ids, lifecycle, log
from services.common.blobs import LocalBlobStore
from services.common.db import Database
from services.common.nats import NatsClient

from .models import Task

logger = logging.getLogger("tasks")

# Wall-time limit of one task run (seconds); the worker enforces it in the sandbox.
TASK_TIMEOUT_S = int(os.environ.get("PENUMBRA_TASK_TIMEOUT_S", "120"))
# Core NATS subject a running task's worker listens on for a cancel.
CANCEL_SUBJECT = "penumbra.control.cancel."
# Stdout larger than this is also offered in parts (StdoutChunks).
STDOUT_CHUNK_BYTES = 256 * 1024


def stdout_key(task_id: str) -> str:
    return f"tasks/{task_id}/stdout"


def stderr_key(task_id: str) -> str:
    return f"tasks/{task_id}/stderr"


def samples_key(task_id: str, value_id: str) -> str:
    return f"tasks/{task_id}/values/{value_id}"


def plot_key(plot_id: str) -> str:
    return f"plots/{plot_id}.png"


@dataclass
class Ctx:
    settings: config.Settings
    db: Database
    blobs: LocalBlobStore
    nats: NatsClient
    builds: builds_pb2_grpc.BuildServiceStub

    # ---------------------------------------------------------------- lookups
    def own_task(self, session, task_id: str, user: str) -> Task:
        """The caller's task; another user's id answers exactly like a missing one."""
        task = session.get(Task, task_id) if ids.is_id("task", task_id) else None
        if task is None or task.owner != user:
            raise errors.NotFound(f"task {task_id!r} not found", TaskID=task_id)
        return task

    def get_build(self, user: str, build_id: str) -> builds_pb2.Build:
        """The caller's build, asked of the builds service (owner-scoped there)."""
        if not ids.is_id("build", build_id):
            raise errors.NotFound(f"build {build_id!r} not found", BuildID=build_id)
        try:
            return self.builds.GetBuild(
                builds_pb2.GetBuildRequest(build_id=build_id),
                metadata=identity.internal_metadata(self.settings.internal_token, user), timeout=10)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise errors.NotFound(f"build {build_id!r} not found", BuildID=build_id) from None
            raise errors.Unavailable(f"the builds service could not be asked about build {build_id}: "
                                     f"{exc.details()}; try again") from None

    # ------------------------------------------------------------ transitions
    @staticmethod
    def transition(task: Task, status: str, message: str = "") -> dict:
        """Records a status change on the row; returns the task-status event data
        (publish it with `publish` after the transaction commits)."""
        entry = lifecycle.transition(status, message)
        task.transitions = [*task.transitions, entry]   # a new list, so the JSON column is saved
        task.status = status
        task.updated_at = entry["Timestamp"]
        if status == lifecycle.IN_PROGRESS and not task.started_at:
            task.started_at = entry["Timestamp"]
        if status in lifecycle.FINAL:
            task.finished_at = entry["Timestamp"]
        return {"owner": task.owner, "type": "task-status",
                "data": {"taskId": task.id, "status": status, "message": message,
                         "updatedAt": entry["Timestamp"], "timestamp": entry["Timestamp"]}}

    def publish(self, events: list[dict]) -> None:
        """Lifecycle events for the events service; a lost event must not fail the
        request whose state change is already stored."""
        for ev in events:
            try:
                self.nats.publish_event(ev["owner"], ev["type"], ev["data"])
            except Exception:
                logger.exception("could not publish event", extra={"fields": {"event": ev}})


def task_to_proto(task: Task, expand: bool = True) -> tasks_pb2.Task:
    if not expand:
        return tasks_pb2.Task(task_id=task.id, owner=task.owner, created_at=task.created_at)
    return tasks_pb2.Task(
        task_id=task.id, build_id=task.build_id, owner=task.owner, status=task.status,
        status_transitions=[common_pb2.StatusTransition(status=t["Status"], timestamp=t["Timestamp"],
                                                        message=t.get("Message", ""))
                            for t in task.transitions],
        arguments=task.arguments,
        data_sources=[common_pb2.DataSource(location=d.get("Location", ""), resource_id=d.get("ResourceID", ""),
                                            resource_type=d.get("ResourceType", ""))
                      for d in task.data_sources],
        started_at=task.started_at, updated_at=task.updated_at, created_at=task.created_at,
        finished_at=task.finished_at,
        stats=tasks_pb2.TaskStats(dynamic_instructions=task.dynamic_instructions,
                                  processor_time=task.processor_time_ms,
                                  execution_time_in_milliseconds=task.execution_ms))


def log_event(msg: str, **fields) -> None:
    log.event(logger, msg, **fields)
