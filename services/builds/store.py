"""What the three build-facing servicers share: build rows <-> messages, input
validation, status transitions and the events and work they publish."""
from __future__ import annotations

import base64
import binascii
import logging
import re
import time

import sqlalchemy as sa
from google.protobuf import json_format

from engine.handlers import build as build_work
from penumbra.v1 import builds_pb2, common_pb2
from services.common import errors, ids, lifecycle, log, paging

from .models import Build, BuildVariable

logger = logging.getLogger("builds")

LANGUAGES = ("C", "C++", "Fortran")
MAX_DATA_SOURCES = 5


def to_json(message) -> dict:
    return json_format.MessageToDict(message)


def from_json(data, message):
    return json_format.ParseDict(data or {}, message, ignore_unknown_fields=True)


# -- input checks ----------------------------------------------------------------
def check_language(value: str) -> str:
    for lang in LANGUAGES:
        if lang.lower() == (value or "").strip().lower():
            return lang
    raise errors.InvalidArgument(f"Language must be one of {', '.join(LANGUAGES)}, not {value!r}",
                                 field="Language")


def decode_code(code: str) -> str:
    """Code comes as plain text or Base64 (API text). Source code nearly always has
    characters outside the Base64 alphabet, so only text made of that alphabet
    that decodes to UTF-8 is taken as Base64."""
    if not code.strip():
        raise errors.InvalidArgument("Code is empty: send the program's source (plain text or Base64)",
                                     field="Code")
    compact = re.sub(r"\s+", "", code)
    if re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", compact) and len(compact) % 4 == 0:
        try:
            return base64.b64decode(compact, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            pass
    return code


def check_trace_variables(items) -> list[dict]:
    for i, tv in enumerate(items):
        if not tv.file.strip() or not tv.expression.strip() or tv.line_number < 1:
            raise errors.InvalidArgument(
                f"TraceVariables[{i}] needs File, a LineNumber of 1 or more, and an Expression",
                field="TraceVariables")
    return [to_json(tv) for tv in items]


def check_data_sources(items) -> list[dict]:
    if len(items) > MAX_DATA_SOURCES:
        raise errors.InvalidArgument(f"at most {MAX_DATA_SOURCES} DataSources are allowed, not {len(items)}",
                                     field="DataSources")
    for i, ds in enumerate(items):
        if not ds.resource_id.strip() or not ds.resource_type.strip():
            raise errors.InvalidArgument(f"DataSources[{i}] needs a ResourceID and a ResourceType",
                                         field="DataSources")
    return [to_json(ds) for ds in items]


# -- rows <-> messages -----------------------------------------------------------------
def build_to_proto(b: Build, expand: bool = True) -> builds_pb2.Build:
    msg = builds_pb2.Build(build_id=b.id, owner=b.owner, created_at=int(b.created_at))
    if not expand:
        return msg
    msg.core_id = b.core_id
    msg.status = b.status
    msg.status_transitions.extend(from_json(t, common_pb2.StatusTransition()) for t in b.transitions)
    msg.started_at = int(b.started_at or 0)
    msg.finished_at = int(b.finished_at or 0)
    msg.updated_at = int(b.updated_at)
    msg.default_arguments = b.arguments
    msg.default_data_sources.extend(from_json(d, common_pb2.DataSource()) for d in b.data_sources)
    msg.trace_variables.extend(from_json(t, common_pb2.TraceVariable()) for t in b.trace_variables)
    msg.application.type = b.application_type
    if b.application_type == "SourceCode":
        source = msg.application.source_code
        source.code, source.language, source.arguments = b.code, b.language, b.arguments
        if b.config_mk is not None:
            source.config_mk = b.config_mk
    else:
        from_json(b.repository, msg.application.repository)
    msg.build_artifact_available = b.artifact_available
    from_json(b.core_specs, msg.build_core_specs)
    msg.stats.build_time_in_milliseconds = b.build_time_ms
    msg.stats.build_size_in_bytes = float(b.build_size)
    msg.stats.created_at = int(b.finished_at or 0)
    msg.is_public = b.is_public
    return msg


def fill_page(db, reply, field: str, query, model, convert, *, start_key: str = "", limit: int = 0,
              from_time: str = "", to_time: str = ""):
    """One page of a list reply: `reply.<field>` gets the converted rows, plus Count and
    ContinuationKey (only when there is more)."""
    with db.session() as s:
        rows, more = paging.page(s, query, model, start_key=start_key, limit=limit, from_time=from_time,
                                 to_time=to_time)
        getattr(reply, field).extend(convert(r) for r in rows)
    reply.count = len(rows)
    if more:
        reply.continuation_key = more
    return reply


def owned_build(session, owner: str, build_id: str) -> Build:
    b = session.get(Build, build_id) if ids.is_id("build", build_id) else None
    if b is None or b.owner != owner:
        raise errors.NotFound(f"no build {build_id!r}: list yours with GET /builds", BuildID=build_id)
    return b


def apply_transition(b: Build, status: str, message: str) -> dict:
    """Moves the build to `status`, records it, and returns the build-status event data."""
    now = time.time()
    b.status = status
    b.transitions = [*b.transitions, lifecycle.transition(status, message)]
    b.updated_at = now
    if status == lifecycle.IN_PROGRESS and b.started_at is None:
        b.started_at = now
    if status in lifecycle.FINAL:
        b.finished_at = now
    return {"buildId": b.id, "status": status, "message": message, "updatedAt": int(now),
            "_user": b.owner, "_seq": len(b.transitions)}


class Builds:
    """Build rows plus the work queue, events and artifacts around them."""

    def __init__(self, db, nats, blobs):
        self.db, self.nats, self.blobs = db, nats, blobs

    def create(self, user: str, **fields) -> str:
        now = time.time()
        b = Build(id=ids.new_id("build"), owner=user, status=lifecycle.ACCEPTED, transitions=[],
                  created_at=now, updated_at=now, artifact_available=False, build_time_ms=0,
                  build_size=0, cancel_requested=False, attempt=0, **fields)
        event = apply_transition(b, lifecycle.ACCEPTED, "build accepted")
        with self.db.session() as s:
            s.add(b)
        try:
            self.nats.publish_work("build", b.id, b.id.encode(), attempt_id=b.id)
        except Exception as exc:
            logger.exception("could not queue build", extra={"fields": {"build_id": b.id}})
            with self.db.session() as s:
                failed = apply_transition(s.get(Build, b.id), lifecycle.FAILED,
                                          "the work queue was not reachable; build again")
            self.publish([event, failed])
            raise errors.Unavailable("the work queue is not reachable right now: try again shortly") from exc
        log.event(logger, "build accepted", build_id=b.id, user=user, core=b.core_id)
        self.publish([event], count=(1, 0))
        return b.id

    def publish(self, transitions: list[dict], count: tuple[int, int] | None = None,
                stats_for: str = "") -> None:
        """build-status events (and build-count / build-stats); a lost event must not fail
        the request that caused it, so failures are logged."""
        try:
            user = ""
            for data in transitions:
                data = dict(data)
                user, seq = data.pop("_user"), data.pop("_seq")
                self.nats.publish_event(user, "build-status", data, event_id=f"{data['buildId']}-{seq}")
            if count and user:
                self.nats.publish_event(user, "build-count", {
                    "userId": user, "IncrementBuildCount": count[0], "DecrementBuildCount": count[1]})
            if stats_for:
                with self.db.session() as s:
                    size, ms = s.execute(sa.select(sa.func.coalesce(sa.func.sum(Build.build_size), 0),
                                                   sa.func.coalesce(sa.func.sum(Build.build_time_ms), 0))
                                         .where(Build.owner == stats_for)).one()
                self.nats.publish_event(stats_for, "build-stats", {
                    "userId": stats_for, "TotalBuildSize": int(size), "TotalBuildTime": int(ms)})
        except Exception:
            logger.exception("could not publish build events")

    def give_up(self, build_id: str, deliveries: int) -> None:
        """JetStream stopped redelivering the build's work: end it instead of leaving it active."""
        with self.db.session() as s:
            b = s.get(Build, build_id)
            if b is None or b.status in lifecycle.FINAL:
                return
            event = apply_transition(b, lifecycle.STOPPED,
                                     f"stopped by the system after {deliveries} attempts: the worker "
                                     f"building it was lost each time; build again")
        self.publish([event])
        log.event(logger, "build given up", build_id=build_id, deliveries=deliveries)

    def delete(self, b: Build, session) -> None:
        session.execute(sa.delete(BuildVariable).where(BuildVariable.build_id == b.id))
        session.delete(b)
        self.blobs.delete_prefix(build_work.blob_prefix(b.id))
