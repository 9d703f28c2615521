"""TaskWork: the internal RPCs engine workers use to run a task they pulled
from the work queue: fetch the job, report transitions and heartbeats, upload
outputs and samples, report the result. `attempt` is the JetStream delivery
count; reports of a superseded attempt are ignored."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from penumbra.v1 import common_pb2, internal_pb2, internal_pb2_grpc
from services.common import errors, ids, lifecycle

from .context import TASK_TIMEOUT_S, Ctx, log_event, samples_key, stderr_key, stdout_key
from .models import Task, TaskValue

REPORTABLE = (lifecycle.INITIALISING, lifecycle.IN_PROGRESS)
RESULTS = (lifecycle.COMPLETED, lifecycle.FAILED, lifecycle.CANCELLED, lifecycle.STOPPED)


def give_up(ctx: Ctx, task_id: str, deliveries: int) -> None:
    """JetStream stopped redelivering the task's work: end it instead of leaving it active."""
    with ctx.db.session() as s:
        task = s.get(Task, task_id)
        if task is None or task.status in lifecycle.FINAL:
            return
        events = [ctx.transition(task, lifecycle.STOPPED,
                                 f"stopped by the system after {deliveries} attempts: the worker running "
                                 f"it was lost each time; run the task again")]
    ctx.publish(events)
    log_event("task given up", task_id=task_id, deliveries=deliveries)


class TaskWork(internal_pb2_grpc.TaskWorkServicer):
    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def _task(self, session, task_id: str) -> Task:
        task = session.get(Task, task_id) if ids.is_id("task", task_id) else None
        if task is None:
            raise errors.NotFound(f"task {task_id!r} not found (deleted?)", TaskID=task_id)
        return task

    def GetTaskJob(self, request, context):
        events = []
        with self.ctx.db.session() as s:
            task = self._task(s, request.task_id)
            if task.status in lifecycle.FINAL:
                raise errors.Conflict(f"task {task.id} is already {task.status}", TaskID=task.id)
            if request.attempt < task.attempt:
                raise errors.Conflict(f"attempt {request.attempt} of task {task.id} was superseded by "
                                      f"attempt {task.attempt}", TaskID=task.id)
            if task.cancel_requested:
                events.append(self.ctx.transition(task, lifecycle.CANCELLED, "cancelled by the user"))
            else:
                if request.attempt > 1:
                    events.append(self.ctx.transition(
                        task, lifecycle.RESCHEDULED,
                        f"the worker running it was lost; running it again (delivery {request.attempt})"))
                task.attempt = request.attempt
                task.worker_id = request.worker_id
                events.append(self.ctx.transition(task, lifecycle.INITIALISING,
                                                  f"picked up by worker {request.worker_id}"))
                job = internal_pb2.TaskJob(
                    task_id=task.id, build_id=task.build_id, owner=task.owner, arguments=task.arguments,
                    core_specs=common_pb2.CoreSpecs(
                        core_class=task.core_specs.get("Class", ""),
                        precision=task.core_specs.get("Precision", 0),
                        memory_size=task.core_specs.get("MemorySize", 0),
                        microarchitecture=task.core_specs.get("Microarchitecture", ""),
                        correlation_tracking=task.core_specs.get("CorrelationTracking", "")),
                    trace_variables=[common_pb2.TraceVariable(file=t["File"], line_number=t["LineNumber"],
                                                              expression=t["Expression"])
                                     for t in task.trace_variables],
                    attempt=request.attempt, timeout_seconds=TASK_TIMEOUT_S)
        self.ctx.publish(events)
        if task.status == lifecycle.CANCELLED:
            raise errors.Conflict(f"task {task.id} was cancelled before it started", TaskID=task.id)
        log_event("task job fetched", task_id=task.id, worker=request.worker_id, attempt=request.attempt)
        return job

    def _current(self, s, task_id: str, attempt: int) -> Task | None:
        """The task if `attempt` still owns it and it has not ended, else None."""
        task = self._task(s, task_id)
        if attempt != task.attempt or task.status in lifecycle.FINAL:
            return None
        return task

    def ReportTaskStatus(self, request, context):
        events = []
        with self.ctx.db.session() as s:
            task = self._current(s, request.task_id, request.attempt)
            if task is None:
                return internal_pb2.WorkAck(accepted=False)
            if request.status:
                if request.status not in REPORTABLE:
                    raise errors.InvalidArgument(f"status {request.status!r} cannot be reported here: use "
                                                 f"{' or '.join(REPORTABLE)}, or ReportTaskOutputs for results")
                events.append(self.ctx.transition(task, request.status, request.message))
            cancel = task.cancel_requested
        self.ctx.publish(events)
        return internal_pb2.WorkAck(accepted=True, cancel_requested=cancel)

    def UploadTaskOutput(self, request_iterator, context):
        first = next(request_iterator, None)
        if first is None:
            raise errors.InvalidArgument("empty upload: send at least one BlobChunk")
        if first.kind == "stdout":
            key = stdout_key(first.resource_id)
        elif first.kind == "stderr":
            key = stderr_key(first.resource_id)
        elif first.kind == "samples" and ids.is_id("value", first.value_id):
            key = samples_key(first.resource_id, first.value_id)
        else:
            raise errors.InvalidArgument(f"cannot store kind {first.kind!r}: use stdout, stderr, or samples "
                                         f"with a value_id")
        with self.ctx.db.session() as s:
            if self._current(s, first.resource_id, first.attempt) is None:
                raise errors.Conflict(f"attempt {first.attempt} of task {first.resource_id} no longer owns it")
        digest = hashlib.sha256()

        def chunks():
            for chunk in _chain(first, request_iterator):
                digest.update(chunk.data)
                yield chunk.data

        size = self.ctx.blobs.put_stream(key, chunks())
        return internal_pb2.BlobInfo(uri=key, size=size, sha256=digest.hexdigest())

    def ReportTaskOutputs(self, request, context):
        if request.status not in RESULTS:
            raise errors.InvalidArgument(f"result status {request.status!r}: use one of {', '.join(RESULTS)}")
        events = []
        with self.ctx.db.session() as s:
            task = self._current(s, request.task_id, request.attempt)
            if task is None:
                return internal_pb2.WorkAck(accepted=False)
            blobs = self.ctx.blobs
            for attr, key in (("stdout_size", stdout_key(task.id)), ("stderr_size", stderr_key(task.id))):
                setattr(task, attr, blobs.size(key) if blobs.exists(key) else None)
            task.exit_code = request.exit_code
            task.dynamic_instructions = request.stats.dynamic_instructions
            task.processor_time_ms = request.stats.processor_time
            task.execution_ms = request.stats.execution_time_in_milliseconds
            s.execute(sa.delete(TaskValue).where(TaskValue.task_id == task.id))   # from an earlier attempt
            for v in request.values:
                if not ids.is_id("value", v.value_id):
                    raise errors.InvalidArgument(f"value id {v.value_id!r} is not val_ + 32 hex")
                s.add(TaskValue(id=v.value_id, task_id=task.id, owner=task.owner, expression=v.expression,
                                file=v.file, line_number=v.line_number, ux=v.ux_string,
                                sample_count=v.sample_count))
            events.append(self.ctx.transition(task, request.status, request.message))
            events.append({"owner": task.owner, "type": "task-stats",
                           "data": {"taskId": task.id, "userId": task.owner,
                                    "TotalDynamicInstructions": task.dynamic_instructions,
                                    "TotalExecutionTime": task.execution_ms}})
        self.ctx.publish(events)
        log_event("task ended", task_id=request.task_id, status=request.status, message=request.message,
                  values=len(request.values))
        return internal_pb2.WorkAck(accepted=True)


def _chain(first, rest):
    yield first
    yield from rest
