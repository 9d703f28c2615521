"""BuildService: builds from source, their lists, cancel, variables, outputs, binaries."""
from __future__ import annotations

import json

import sqlalchemy as sa
from google.api import httpbody_pb2

from engine.handlers import build as build_work
from penumbra.v1 import builds_pb2, builds_pb2_grpc, common_pb2
from services.common.urltokens import signed_url
from services.common import blobs, errors, identity, lifecycle

from . import cores
from .models import Build, BuildVariable
from .store import (Builds, apply_transition, build_to_proto, check_data_sources, check_language,
                    check_trace_variables, decode_code, fill_page, owned_build, to_json)

VARIABLES_PAGE = 500
CHUNK = 256 * 1024


def _require_finished(b: Build, what: str) -> None:
    if b.status in lifecycle.ACTIVE:
        raise errors.Conflict(f"build {b.id} is {b.status}: its {what} is available once it has finished",
                              BuildID=b.id)


class BuildService(builds_pb2_grpc.BuildServiceServicer):
    def __init__(self, builds: Builds, settings):
        self.builds, self.db, self.settings = builds, builds.db, settings

    def CreateSourceBuild(self, request, context):
        user = identity.require_user()
        code = decode_code(request.code)
        language = check_language(request.language)
        with self.db.session() as s:
            core = cores.resolve(s, user, request.core_id or cores.DEFAULT_BUILD_CORE)
        build_id = self.builds.create(
            user, core_id=core.core_id, core_specs=to_json(cores.specs_of(core)), application_type="SourceCode",
            code=code, language=language,
            config_mk=request.config_mk if request.HasField("config_mk") else None,
            repository_id=None, repository=None, arguments=request.arguments,
            data_sources=check_data_sources(request.data_sources),
            trace_variables=check_trace_variables(request.trace_variables),
            discover_variables=request.discover_variables, is_public=request.is_public)
        return builds_pb2.CreateBuildResponse(build_id=build_id)

    def ListBuilds(self, request, context):
        user = identity.require_user()
        statuses = lifecycle.check_status_filter(request.status)
        query = sa.select(Build).where(Build.owner == user)
        if statuses:
            query = query.where(Build.status.in_(statuses))
        return fill_page(self.db, builds_pb2.ListBuildsResponse(user_id=user), "builds", query, Build,
                         lambda b: build_to_proto(b, expand=not request.noexpand),
                         start_key=request.start_key, limit=request.limit, from_time=request.from_time,
                         to_time=request.to_time)

    def GetBuild(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            return build_to_proto(owned_build(s, user, request.build_id))

    def DeleteBuild(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            b = owned_build(s, user, request.build_id)
            if b.status in lifecycle.ACTIVE:
                raise errors.Conflict(
                    f"build {b.id} is {b.status} and cannot be deleted while active: cancel it first "
                    f"(POST /builds/{b.id}/cancel) or wait until it finishes", BuildID=b.id)
            self.builds.delete(b, s)
        return common_pb2.MessageReply(message="OK")

    def CancelBuild(self, request, context):
        user = identity.require_user()
        events = []
        with self.db.session() as s:
            b = owned_build(s, user, request.build_id)
            if b.status in lifecycle.FINAL:
                raise errors.Conflict(f"build {b.id} is already {b.status}: there is nothing to cancel",
                                      BuildID=b.id)
            b.cancel_requested = True
            if b.status == lifecycle.ACCEPTED:
                # No worker has it yet: cancel now; a worker that pulls it later drops it.
                events.append(apply_transition(b, lifecycle.CANCELLED, "cancelled by the user"))
        if events:
            self.builds.publish(events, count=(0, 1))
        return common_pb2.SignalReply(message="Cancel Build Signal sent")

    def GetBuildVariables(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            b = owned_build(s, user, request.build_id)
            if not b.discover_variables:
                raise errors.Conflict(
                    f"build {b.id} was made without variable discovery: build again with "
                    f"?DiscoverVariables=true", BuildID=b.id)
            _require_finished(b, "variable list")
            start = 0
            if request.start_key:
                if not request.start_key.isdigit():
                    raise errors.InvalidArgument(f"startKey {request.start_key!r} is not a ContinuationKey "
                                                 f"of this list", field="startKey")
                start = int(request.start_key)
            rows = list(s.scalars(sa.select(BuildVariable).where(
                BuildVariable.build_id == b.id, BuildVariable.seq >= start)
                .order_by(BuildVariable.seq).limit(VARIABLES_PAGE + 1)))
        reply = builds_pb2.BuildVariablesResponse(build_id=b.id, variables=[
            builds_pb2.Variable(object="Variable", name=v.name, type=v.kind, file=v.file, line=v.line,
                                function=v.function) for v in rows[:VARIABLES_PAGE]])
        reply.count = len(reply.variables)
        if len(rows) > VARIABLES_PAGE:
            reply.continuation_key = str(rows[VARIABLES_PAGE].seq)
        return reply

    def GetBuildOutputs(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            b = owned_build(s, user, request.build_id)
        return builds_pb2.BuildOutputs(build=signed_url(self.settings, f"/builds/{b.id}/output/Build", user))

    def GetBuildOutput(self, request, context):
        # Checks happen here, before streaming, so errors map to proper statuses.
        user = identity.require_user()
        if request.stream.lower() != "build":
            raise errors.InvalidArgument(f"unknown output stream {request.stream!r}: builds have one, "
                                         f"Build (the compiler output)", field="Stream")
        with self.db.session() as s:
            b = owned_build(s, user, request.build_id)
        _require_finished(b, "compiler output")
        try:
            chunks = self.builds.blobs.iter_chunks(build_work.blob_key(b.id, build_work.OUTPUT), CHUNK)
            first = next(chunks, b"")
        except blobs.BlobNotFound:
            chunks, first = iter(()), b""
        return self._stream("text/plain; charset=utf-8", first, chunks)

    def GetBuildBinary(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            b = owned_build(s, user, request.build_id)
        core_class = b.core_specs.get("Class", "")
        if core_class not in cores.MICROSD_CLASSES:
            raise errors.Conflict(
                f"binaries are available for builds on {' and '.join(cores.MICROSD_CLASSES)} cores only; "
                f"build {b.id} is for a {core_class} core (its tasks run in Penumbra)", BuildID=b.id)
        _require_finished(b, "binary")
        if not b.artifact_available:
            raise errors.Conflict(f"build {b.id} is {b.status} and has no binary", BuildID=b.id)
        if not request.download:
            url = signed_url(self.settings, f"/builds/{b.id}/binary?download=true", user)
            return self._stream("application/json", json.dumps({"url": url}).encode(), iter(()))
        try:
            chunks = self.builds.blobs.iter_chunks(build_work.blob_key(b.id, build_work.BINARY), CHUNK)
            first = next(chunks, b"")
        except blobs.BlobNotFound:
            raise errors.NotFound(f"the binary of build {b.id} is no longer stored", BuildID=b.id) from None
        return self._stream("application/octet-stream", first, chunks)

    @staticmethod
    def _stream(content_type: str, first: bytes, rest):
        yield httpbody_pb2.HttpBody(content_type=content_type, data=first)
        for chunk in rest:
            yield httpbody_pb2.HttpBody(data=chunk)

