"""Runs tasks pulled from the work queue (`penumbra.work.task.<tsk_id>`).

For each message: listen for a cancel on `penumbra.control.cancel.<tsk_id>`
(core NATS, published by the tasks service), fetch the job over TaskWork
(which records Initialising, or Rescheduled first when this is a redelivery
after a worker was lost), load the build (engine.handlers.build.load_build),
run it with engine.run in a thread, upload stdout/stderr and the samples of
Reference values, and report the result with its stats. The heartbeat reply
also carries a cancel, in case the NATS message was missed.

Returning acks the message; raising naks it (redelivered): only for failures
that another try may fix (a service unreachable), never for the program's own.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
import socket
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import grpc
import numpy as np

import engine
from engine import worker
from engine.executors import default_limits
from penumbra.v1 import internal_pb2, internal_pb2_grpc, tasks_pb2
from services.common import blobs, config, identity, lifecycle, log
from services.common import nats as penumbra_nats

SUBJECT = "penumbra.work.task."
CANCEL_SUBJECT = "penumbra.control.cancel."
# How often a running task asks the service whether it was cancelled (fallback to NATS).
POLL_S = 1.0
UPLOAD_CHUNK = 1 << 20
WORKER_ID = f"{socket.gethostname()}-{os.getpid()}"

logger = logging.getLogger("engine.task")

# Per output stream; larger outputs stop the task with a message naming the limit.
TASK_OUTPUT_BYTES = int(os.environ.get("PENUMBRA_TASK_OUTPUT_BYTES", str(64 << 20)))

# engine.run status -> task status. Limits hit stop the task ("stopped by system").
STOPPED_BY_LIMIT = {"wall_time", "cpu_time", "memory", "processes", "output"}


class _Clients:
    """Connections made once per worker process, inside the pull loop's event loop."""

    def __init__(self):
        self.settings = config.load()
        self.channel = grpc.aio.insecure_channel(self.settings.service_addr("tasks"), options=[
            ("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)])
        self.work = internal_pb2_grpc.TaskWorkStub(self.channel)
        self.store = blobs.open_store(self.settings)
        self.nc = None

    async def nats(self):
        if self.nc is None:
            self.nc = await penumbra_nats.connect(self.settings.nats_url, f"engine-tasks-{WORKER_ID}")
        return self.nc

    def md(self, user: str = ""):
        return identity.internal_metadata(self.settings.internal_token, user)


_clients: _Clients | None = None


def _get_clients() -> _Clients:
    global _clients
    if _clients is None:
        _clients = _Clients()
    return _clients


async def handle(data: bytes, headers: dict) -> None:
    task_id = json.loads(data)["TaskID"]
    attempt = int(headers.get("Penumbra-Delivery", "1"))
    c = _get_clients()
    cancel = threading.Event()

    async def on_cancel(_msg):
        cancel.set()

    # Listen before fetching the job, so a cancel sent after the fetch is never missed.
    sub = await (await c.nats()).subscribe(CANCEL_SUBJECT + task_id, cb=on_cancel)
    try:
        try:
            job = await c.work.GetTaskJob(internal_pb2.GetTaskJobRequest(
                task_id=task_id, worker_id=WORKER_ID, attempt=attempt), metadata=c.md(), timeout=30)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
                log.event(logger, "task not run", task_id=task_id, reason=exc.details())
                return   # deleted, cancelled or already ended: drop the message
            raise
        await _run(c, job, cancel)
    finally:
        await sub.unsubscribe()


async def _run(c: _Clients, job, cancel: threading.Event) -> None:
    md = c.md(job.owner)
    base = dict(task_id=job.task_id, worker_id=WORKER_ID, attempt=job.attempt)

    async def report(status: str, message: str = "", **extra) -> None:
        await c.work.ReportTaskOutputs(internal_pb2.ReportTaskOutputsRequest(
            **base, status=status, message=message, **extra), metadata=md, timeout=60)

    try:
        args = shlex.split(job.arguments)
    except ValueError as exc:
        await report(lifecycle.FAILED, f"Arguments cannot be split: {exc}")
        return
    with tempfile.TemporaryDirectory(prefix=f"penumbra-{job.task_id}-") as tmp:
        try:
            from engine.handlers.build import load_build
            build = await asyncio.to_thread(load_build, c.store, job.build_id, Path(tmp) / "build")
        except Exception as exc:   # a missing or unreadable build: the task cannot run
            logger.exception("could not load build", extra={"fields": {"task_id": job.task_id}})
            await report(lifecycle.FAILED, f"could not load build {job.build_id}: {exc}")
            return
        ack = await c.work.ReportTaskStatus(internal_pb2.ReportTaskStatusRequest(
            **base, status=lifecycle.IN_PROGRESS, message=f"running on {build.core.Microarchitecture}"),
            metadata=md, timeout=30)
        if ack.cancel_requested:
            cancel.set()
        limits = default_limits(build.core)
        timeout = job.timeout_seconds or limits.wall_s
        # The wall-time limit bounds a run; CPU is summed over a Reference run's parallel workers.
        limits = replace(limits, wall_s=timeout, cpu_s=timeout * (os.cpu_count() or 1),
                         output_bytes=TASK_OUTPUT_BYTES)
        poller = asyncio.create_task(_poll_cancel(c, base, md, cancel))
        try:
            result = await asyncio.to_thread(engine.run, build, args=args, work_dir=Path(tmp) / "work",
                                             limits=limits, cancel=cancel)
        except Exception as exc:
            logger.exception("engine.run failed", extra={"fields": {"task_id": job.task_id}})
            await report(lifecycle.FAILED, f"the engine could not run the program: {exc}")
            return
        finally:
            poller.cancel()
        outputs = [await _upload(c, md, job, "stdout", result.stdout.encode()),
                   await _upload(c, md, job, "stderr", result.stderr.encode())]
        values = []
        for v in result.values:
            if v.samples is not None and len(v.samples):
                samples = np.asarray(v.samples, dtype="<f8")
                await _upload(c, md, job, "samples", samples.tobytes(), value_id=v.id)
                values.append(internal_pb2.TaskValue(value_id=v.id, expression=v.label, ux_string=v.ux or "",
                                                     sample_count=len(samples)))
            elif v.ux:
                values.append(internal_pb2.TaskValue(value_id=v.id, expression=v.label, ux_string=v.ux))
        status, message = _outcome(result)
        stats = tasks_pb2.TaskStats(execution_time_in_milliseconds=result.stats.get("wall_ms", 0.0),
                                    processor_time=result.stats.get("cpu_ms", 0.0))
        await report(status, message, stats=stats, values=values, outputs=outputs,
                     exit_code=_exit_code(result))
        log.event(logger, "task run", task_id=job.task_id, status=status, message=message,
                  wall_ms=stats.execution_time_in_milliseconds, values=len(values))


def _outcome(result) -> tuple[str, str]:
    if result.status == "ok":
        return lifecycle.COMPLETED, result.message
    if result.status == "cancelled":
        return lifecycle.CANCELLED, "cancelled by the user"
    if result.status in STOPPED_BY_LIMIT:
        return lifecycle.STOPPED, f"stopped: {result.message}"
    return lifecycle.FAILED, result.message or result.status


def _exit_code(result) -> int:
    if result.status == "ok":
        return 0
    words = result.message.split()
    # "exited with status N" is the only form that carries the program's own code.
    return int(words[-1]) if result.message.startswith("exited with status") and words[-1].isdigit() else -1


async def _poll_cancel(c: _Clients, base: dict, md, cancel: threading.Event) -> None:
    while not cancel.is_set():
        await asyncio.sleep(POLL_S)
        try:
            ack = await c.work.ReportTaskStatus(internal_pb2.ReportTaskStatusRequest(**base), metadata=md,
                                                timeout=10)
        except grpc.aio.AioRpcError:
            continue   # the service is briefly away; the run goes on
        if ack.cancel_requested or not ack.accepted:
            cancel.set()   # cancelled, or the task is no longer ours to run


async def _upload(c: _Clients, md, job, kind: str, data: bytes, value_id: str = ""):
    def chunks():
        for offset in range(0, max(len(data), 1), UPLOAD_CHUNK):
            piece = data[offset:offset + UPLOAD_CHUNK]
            yield internal_pb2.BlobChunk(resource_id=job.task_id, kind=kind, value_id=value_id, offset=offset,
                                         data=piece, attempt=job.attempt,
                                         last=offset + UPLOAD_CHUNK >= len(data))
    return await c.work.UploadTaskOutput(chunks(), metadata=md, timeout=60)


worker.HANDLERS[SUBJECT] = handle
