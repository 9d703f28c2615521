"""BuildWork: the internal RPCs engine workers use for a build they pulled from
the work queue (engine/handlers/build.py is the other side).

Attempts: `attempt` is the JetStream delivery count. Fetching the job with a
higher attempt supersedes the previous worker (the build shows Rescheduled when
that one had started), and reports of a superseded attempt are ignored.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from penumbra.v1 import internal_pb2, internal_pb2_grpc
from services.common import errors, lifecycle, log

from .models import Build, BuildVariable
from .store import Builds, apply_transition, from_json

logger = logging.getLogger("builds.work")

COMPILE_TIMEOUT_S = 120
WORKER_STATUSES = (lifecycle.INITIALISING, lifecycle.IN_PROGRESS)
RESULT_STATUSES = tuple(lifecycle.FINAL)


class BuildWork(internal_pb2_grpc.BuildWorkServicer):
    def __init__(self, builds: Builds):
        self.builds, self.db = builds, builds.db

    def GetBuildJob(self, request, context):
        events, problem, job = [], None, None
        with self.db.session() as s:
            b = s.get(Build, request.build_id)
            if b is None:
                problem = errors.NotFound(f"build {request.build_id} does not exist (deleted?)")
            elif b.status in lifecycle.FINAL:
                problem = errors.Conflict(f"build {b.id} is already {b.status}")
            elif request.attempt < b.attempt:
                problem = errors.Conflict(f"attempt {request.attempt} of build {b.id} was superseded "
                                          f"by attempt {b.attempt}")
            elif b.cancel_requested:
                events.append(apply_transition(b, lifecycle.CANCELLED, "cancelled by the user"))
                problem = errors.Conflict(f"build {b.id} was cancelled before it started")
            else:
                if b.status in WORKER_STATUSES and request.attempt > b.attempt:
                    events.append(apply_transition(b, lifecycle.RESCHEDULED,
                                                   "the worker building it was lost; building again"))
                b.attempt = request.attempt
                job = self._job(b)
        self.builds.publish(events, count=(0, 1) if problem and events else None)
        if problem:
            raise problem
        log.event(logger, "build job fetched", build_id=job.build_id, worker=request.worker_id,
                  attempt=request.attempt)
        return job

    def _job(self, b: Build) -> internal_pb2.BuildJob:
        job = internal_pb2.BuildJob(
            build_id=b.id, owner=b.owner, core_id=b.core_id, application_type=b.application_type,
            code=b.code, language=b.language, config_mk=b.config_mk or "",
            discover_variables=b.discover_variables, default_arguments=b.arguments,
            attempt=b.attempt, timeout_seconds=COMPILE_TIMEOUT_S)
        from_json(b.core_specs, job.core_specs)
        for tv in b.trace_variables:
            from_json(tv, job.trace_variables.add())
        for ds in b.data_sources:
            from_json(ds, job.default_data_sources.add())
        if b.repository:
            repo = b.repository
            job.remote_url, job.commit = repo.get("RemoteURL", ""), repo.get("Commit", "")
            job.branch, job.build_directory = repo.get("Branch", ""), repo.get("BuildDirectory", "")
        return job

    def ReportBuildStatus(self, request, context):
        if request.status and request.status not in WORKER_STATUSES:
            raise errors.InvalidArgument(f"a worker reports {' or '.join(WORKER_STATUSES)} here, "
                                         f"not {request.status!r}")
        event = None
        with self.db.session() as s:
            b = s.get(Build, request.build_id)
            if b is None or b.status in lifecycle.FINAL or request.attempt != b.attempt:
                return internal_pb2.WorkAck(accepted=False, cancel_requested=b is not None and b.cancel_requested)
            if request.status and request.status != b.status:
                event = apply_transition(b, request.status, request.message)
            ack = internal_pb2.WorkAck(accepted=True, cancel_requested=b.cancel_requested)
        if event:
            self.builds.publish([event])
        return ack

    def ReportBuildResult(self, request, context):
        if request.status not in RESULT_STATUSES:
            raise errors.InvalidArgument(f"a result status is one of {', '.join(RESULT_STATUSES)}, "
                                         f"not {request.status!r}")
        with self.db.session() as s:
            b = s.get(Build, request.build_id)
            if b is None or b.status in lifecycle.FINAL or request.attempt != b.attempt:
                return internal_pb2.WorkAck(accepted=False)
            b.artifact_available = request.artifact_available
            b.build_time_ms = request.stats.build_time_in_milliseconds
            b.build_size = int(request.stats.build_size_in_bytes)
            s.execute(sa.delete(BuildVariable).where(BuildVariable.build_id == b.id))
            s.add_all(BuildVariable(build_id=b.id, seq=i, name=v.name, kind=v.type or "Variable",
                                    file=v.file, line=v.line, function=v.function)
                      for i, v in enumerate(request.variables))
            event = apply_transition(b, request.status, request.message)
            owner = b.owner
        log.event(logger, "build finished", build_id=request.build_id, status=request.status,
                  build_ms=request.stats.build_time_in_milliseconds)
        self.builds.publish([event], count=(0, 1), stats_for=owner)
        return internal_pb2.WorkAck(accepted=True)

