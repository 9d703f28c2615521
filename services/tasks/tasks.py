"""TaskService: tasks of completed builds, their status, cancel and outputs."""
from __future__ import annotations

import json
import secrets
import shlex
import time

import sqlalchemy as sa
from google.api import httpbody_pb2

from penumbra.v1 import common_pb2, tasks_pb2, tasks_pb2_grpc
from services.common import errors, identity, ids, lifecycle, paging
from services.common.blobs import BlobNotFound
from services.common.urltokens import signed_url

from .context import (CANCEL_SUBJECT, STDOUT_CHUNK_BYTES, Ctx, log_event, stderr_key, stdout_key,
                      task_to_proto)
from .models import Task, TaskValue

RESOURCE_TYPES = ("Gateway", "Bucket", "Drive", "SignaloidCloudStorage")
MAX_DATA_SOURCES = 5
STREAMS = {"stdout": "Stdout", "stderr": "Stderr"}
STREAM_PIECE = 64 * 1024


def _new_task_id() -> str:
    """tsk_ + 32 hex that sort by creation time (milliseconds first): lists order by
    CreatedAt (seconds) then id, so tasks made within one second stay newest first."""
    return f"tsk_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def _check_arguments(arguments: str) -> None:
    try:
        shlex.split(arguments)
    except ValueError as exc:
        raise errors.InvalidArgument(f"Arguments cannot be split like a shell command line ({exc}): "
                                     f"close the quotes or escape them", field="Arguments") from None


def _check_data_sources(sources, from_build: bool) -> None:
    if len(sources) > MAX_DATA_SOURCES:
        raise errors.InvalidArgument(f"at most {MAX_DATA_SOURCES} DataSources per task", field="DataSources")
    for ds in sources:
        if ds.resource_type not in RESOURCE_TYPES:
            raise errors.InvalidArgument(f"DataSources ResourceType {ds.resource_type!r}: use one of "
                                         f"{', '.join(RESOURCE_TYPES)}", field="DataSources")
    if sources:
        # Mounting needs the files service's FileWork, which is not built yet:
        # refuse now rather than run the program without its data.
        where = "the build's default DataSources" if from_build else "DataSources"
        raise errors.InvalidArgument(f"{where} cannot be mounted yet in this version of Penumbra: "
                                     f"run without DataSources", field="DataSources")


# Outputs larger than this answer GET .../output/{Stream} with a redirect.
REDIRECT_ABOVE_BYTES = 5 * 1000 * 1000


class TaskService(tasks_pb2_grpc.TaskServiceServicer):
    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def CreateTask(self, request, context):
        user = identity.require_user()
        build = self.ctx.get_build(user, request.build_id)
        if build.status != lifecycle.COMPLETED:
            raise errors.Conflict(f"build {build.build_id} is {build.status}: tasks run only on Completed "
                                  f"builds; wait for it to complete, or fix it and build again",
                                  BuildID=build.build_id, Status=build.status)
        arguments = request.arguments if request.HasField("arguments") else build.default_arguments
        _check_arguments(arguments)
        _check_data_sources(request.data_sources or build.default_data_sources,
                            from_build=not request.data_sources)
        now = int(time.time())
        task = Task(id=_new_task_id(), owner=user, build_id=build.build_id, status="", transitions=[],
                    arguments=arguments, data_sources=[],
                    core_specs={"Class": build.build_core_specs.core_class,
                                "Precision": build.build_core_specs.precision,
                                "MemorySize": build.build_core_specs.memory_size,
                                "Microarchitecture": build.build_core_specs.microarchitecture,
                                "CorrelationTracking": build.build_core_specs.correlation_tracking},
                    trace_variables=[{"File": t.file, "LineNumber": t.line_number, "Expression": t.expression}
                                     for t in build.trace_variables],
                    created_at=now, updated_at=now, started_at=0, finished_at=0, dynamic_instructions=0.0,
                    processor_time_ms=0.0, execution_ms=0.0, attempt=0, worker_id="", cancel_requested=False)
        event = self.ctx.transition(task, lifecycle.ACCEPTED, "task accepted")
        with self.ctx.db.session() as s:
            s.add(task)
        try:
            self.ctx.nats.publish_work("task", task.id, json.dumps({"TaskID": task.id}).encode(),
                                       attempt_id=f"{task.id}-queued")
        except Exception as exc:
            with self.ctx.db.session() as s:
                failed = self.ctx.transition(s.get(Task, task.id), lifecycle.FAILED,
                                             "could not queue the task for a worker")
            self.ctx.publish([event, failed])
            raise errors.Unavailable(f"the work queue is unavailable ({exc}); try again") from None
        self.ctx.publish([event, {"owner": user, "type": "task-count",
                                  "data": {"userId": user, "IncrementTaskCount": 1, "DecrementTaskCount": 0}}])
        log_event("task created", task_id=task.id, build_id=task.build_id, owner=user)
        return tasks_pb2.CreateTaskResponse(task_id=task.id)

    def _list(self, user: str, *, build_id: str = "", statuses=(), start_key: str, limit: int,
              from_time: str, to_time: str):
        query = sa.select(Task).where(Task.owner == user)
        if build_id:
            query = query.where(Task.build_id == build_id)
        if statuses:
            query = query.where(Task.status.in_(statuses))
        if start_key and not ids.is_id("task", start_key):
            raise errors.InvalidArgument(f"startKey {start_key!r} is not a TaskID (tsk_ + 32 hex): pass "
                                         f"the ContinuationKey of the previous page", field="startKey")
        with self.ctx.db.session() as s:
            if start_key:
                anchor = s.get(Task, start_key)
                if anchor is None or anchor.owner != user or (build_id and anchor.build_id != build_id):
                    raise errors.InvalidArgument(f"startKey {start_key!r} is not a ContinuationKey of this "
                                                 f"list", field="startKey")
            return paging.page(s, query, Task, start_key=start_key, limit=limit, from_time=from_time,
                               to_time=to_time)

    def ListBuildTasks(self, request, context):
        user = identity.require_user()
        rows, more = self._list(user, build_id=request.build_id, start_key=request.start_key, limit=0,
                                from_time=request.from_time, to_time=request.to_time)
        if not rows and not request.start_key:
            self.ctx.get_build(user, request.build_id)   # 404 for a build that isn't the caller's
        reply = tasks_pb2.ListBuildTasksResponse(build_id=request.build_id,
                                                 tasks=[task_to_proto(t) for t in rows], count=len(rows))
        if more:
            reply.continuation_key = more
        return reply

    def ListTasks(self, request, context):
        user = identity.require_user()
        statuses = lifecycle.check_status_filter(request.status)
        rows, more = self._list(user, statuses=statuses, start_key=request.start_key, limit=request.limit,
                                from_time=request.from_time, to_time=request.to_time)
        reply = tasks_pb2.ListTasksResponse(user_id=user, count=len(rows),
                                            tasks=[task_to_proto(t, not request.noexpand) for t in rows])
        if more:
            reply.continuation_key = more
        return reply

    def GetTask(self, request, context):
        user = identity.require_user()
        with self.ctx.db.session() as s:
            return task_to_proto(self.ctx.own_task(s, request.task_id, user))

    def DeleteTask(self, request, context):
        user = identity.require_user()
        with self.ctx.db.session() as s:
            task = self.ctx.own_task(s, request.task_id, user)
            if task.status in lifecycle.ACTIVE:
                raise errors.Conflict(f"task {task.id} is {task.status}: cancel it, or wait until it ends, "
                                      f"before deleting it", TaskID=task.id, Status=task.status)
            s.execute(sa.delete(TaskValue).where(TaskValue.task_id == task.id))
            s.delete(task)
        self.ctx.blobs.delete_prefix(f"tasks/{request.task_id}")
        self.ctx.publish([{"owner": user, "type": "task-count",
                           "data": {"userId": user, "IncrementTaskCount": 0, "DecrementTaskCount": 1}}])
        return common_pb2.MessageReply(message="OK")

    def CancelTask(self, request, context):
        user = identity.require_user()
        events = []
        with self.ctx.db.session() as s:
            task = self.ctx.own_task(s, request.task_id, user)
            if task.status in lifecycle.FINAL:
                raise errors.Conflict(f"task {task.id} is already {task.status}: there is nothing to cancel",
                                      TaskID=task.id, Status=task.status)
            task.cancel_requested = True
            if task.status == lifecycle.ACCEPTED:
                # No worker has it yet: the queued message is dropped when pulled.
                events.append(self.ctx.transition(task, lifecycle.CANCELLED, "cancelled by the user before it started"))
            running = task.status != lifecycle.CANCELLED
        if running:
            # Reaches the worker running it at once; its heartbeat reply is the fallback.
            self.ctx.nats.call(self._signal(request.task_id))
        self.ctx.publish(events)
        log_event("task cancel requested", task_id=request.task_id, running=running)
        return common_pb2.SignalReply(message="Cancel Task Signal sent")

    async def _signal(self, task_id: str) -> None:
        await self.ctx.nats.nc.publish(CANCEL_SUBJECT + task_id, b"cancel")
        await self.ctx.nats.nc.flush()

    def GetTaskOutputs(self, request, context):
        user = identity.require_user()
        with self.ctx.db.session() as s:
            task = self.ctx.own_task(s, request.task_id, user)
        base = f"/tasks/{task.id}/output/"
        reply = tasks_pb2.TaskOutputs(stdout=signed_url(self.ctx.settings, base + "Stdout", user),
                                      stderr=signed_url(self.ctx.settings, base + "Stderr", user))
        size = task.stdout_size or 0
        if size > STDOUT_CHUNK_BYTES:
            parts = (size + STDOUT_CHUNK_BYTES - 1) // STDOUT_CHUNK_BYTES
            reply.stdout_chunks.extend(signed_url(self.ctx.settings, f"{base}Stdout?chunk={i}", user)
                                       for i in range(parts))
        return reply

    def GetTaskOutput(self, request, context):
        user = identity.require_user()
        stream = STREAMS.get(request.stream.lower())
        if stream is None:
            raise errors.InvalidArgument(f"unknown output stream {request.stream!r}: use Stdout or Stderr",
                                         field="Stream")
        with self.ctx.db.session() as s:
            task = self.ctx.own_task(s, request.task_id, user)
        size = task.stdout_size if stream == "Stdout" else task.stderr_size
        if size is None:
            if task.status in lifecycle.ACTIVE:
                raise errors.Conflict(f"task {task.id} is {task.status}: its {stream} is available once it "
                                      f"has ended", TaskID=task.id, Status=task.status)
            size = 0   # ended before the program ran (e.g. cancelled while queued)
        start, end = 0, size
        if request.HasField("chunk"):
            if stream != "Stdout":
                raise errors.InvalidArgument("chunk applies to Stdout only", field="chunk")
            start = request.chunk * STDOUT_CHUNK_BYTES
            if start >= max(size, 1):
                raise errors.InvalidArgument(f"chunk {request.chunk} is past the end of Stdout "
                                             f"({size} bytes in parts of {STDOUT_CHUNK_BYTES})", field="chunk")
            end = min(size, start + STDOUT_CHUNK_BYTES)
        elif size > REDIRECT_ABOVE_BYTES and not request.token:
            # As Signaloid does for large outputs: answer with a redirect to a
            # download URL (here a signed gateway URL that streams the bytes).
            context.send_initial_metadata([
                ("x-penumbra-http-status", "302"),
                ("location", signed_url(self.ctx.settings, f"/tasks/{task.id}/output/{stream}", user))])
            return iter(())
        return self._stream(task.id, stream, start, end)

    def _stream(self, task_id: str, stream: str, start: int, end: int):
        content_type = "text/plain; charset=utf-8"
        key = stdout_key(task_id) if stream == "Stdout" else stderr_key(task_id)
        sent = False
        if end > start:
            try:
                with self.ctx.blobs.open(key) as f:
                    f.seek(start)
                    left = end - start
                    while left > 0:
                        data = f.read(min(STREAM_PIECE, left))
                        if not data:
                            break
                        left -= len(data)
                        yield httpbody_pb2.HttpBody(content_type=content_type, data=data)
                        sent = True
            except BlobNotFound:
                pass
        if not sent:
            yield httpbody_pb2.HttpBody(content_type=content_type, data=b"")
