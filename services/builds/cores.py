"""Cores: the caller's custom cores and the default cores every account has.

Default cores come from the engine's table (engine/cores.py); each has a fixed
id derived from its name, so builds and integrations can name them by CoreID.
A build's CoreID may also be a default core's name (e.g. "C0-Reference").
"""
from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa

from engine import cores as engine_cores
from penumbra.v1 import builds_pb2, builds_pb2_grpc, common_pb2
from services.common import errors, ids, identity

from .models import Core
from .store import fill_page

CLASSES = ("C0", "C0Pro", "C0-microSD", "C0-microSD-plus")
MICROSD_CLASSES = ("C0-microSD", "C0-microSD-plus")
# Source builds without a CoreID run on this default core: Athens at precision 64,
# Signaloid's everyday distributional core.
DEFAULT_BUILD_CORE = "C0-S"
# Default cores exist from the start; one fixed timestamp keeps their replies stable.
DEFAULT_CORES_CREATED_AT = 1767225600   # 2026-01-01T00:00:00Z
DEFAULT_OWNER = "penumbra"


def default_core_id(name: str) -> str:
    return "cor_" + hashlib.sha256(f"penumbra default core {name}".encode()).hexdigest()[:32]


def _default_core(spec) -> builds_pb2.Core:
    return builds_pb2.Core(
        object="Core", core_id=default_core_id(spec.Name), owner=DEFAULT_OWNER,
        created_at=DEFAULT_CORES_CREATED_AT, updated_at=DEFAULT_CORES_CREATED_AT, name=spec.Name,
        core_class=spec.Class, microarchitecture=spec.Microarchitecture,
        correlation_tracking=spec.CorrelationTracking, memory_size=spec.MemorySize,
        precision=spec.Precision)


DEFAULT_CORES = [_default_core(spec) for spec in engine_cores.DEFAULT_CORES.values()]
_DEFAULT_BY_ID = {c.core_id: c for c in DEFAULT_CORES}
_DEFAULT_BY_NAME = {c.name.lower(): c for c in DEFAULT_CORES}


def _canonical(value: str, choices, field: str, problems: list[str]) -> str:
    for choice in choices:
        if choice.lower() == (value or "").strip().lower():
            return choice
    problems.append(f"{field} must be one of {', '.join(choices)} (case-insensitive), not {value!r}")
    return value


def validate(name: str, core_class: str, microarchitecture: str, correlation_tracking: str,
             memory_size: int, precision: int) -> dict:
    """The Create/Update Core rules of the API text; returns the canonical values
    or raises InvalidArgument listing every problem."""
    problems: list[str] = []
    if not (name or "").strip():
        problems.append("Name must not be empty")
    core_class = _canonical(core_class, CLASSES, "Class", problems)
    microarchitecture = _canonical(microarchitecture, engine_cores.MICROARCHITECTURES,
                                   "Microarchitecture", problems)
    correlation_tracking = _canonical(correlation_tracking, engine_cores.CORRELATION,
                                      "CorrelationTracking", problems)
    high = engine_cores.PRECISION_MAX.get(microarchitecture, 8000)
    if not engine_cores.PRECISION_MIN <= precision <= high:
        problems.append(f"Precision must be between {engine_cores.PRECISION_MIN} and {high}"
                        f"{' on ' + microarchitecture if microarchitecture in engine_cores.PRECISION_MAX else ''}"
                        f", not {precision}")
    if not engine_cores.MEMORY_MIN <= memory_size <= engine_cores.MEMORY_MAX:
        problems.append(f"MemorySize must be between {engine_cores.MEMORY_MIN} and "
                        f"{engine_cores.MEMORY_MAX} bytes, not {memory_size}")
    if problems:
        raise errors.InvalidArgument("; ".join(problems))
    return {"name": name.strip(), "core_class": core_class, "microarchitecture": microarchitecture,
            "correlation_tracking": correlation_tracking, "memory_size": memory_size,
            "precision": precision}


def to_proto(core: Core) -> builds_pb2.Core:
    return builds_pb2.Core(
        object="Core", core_id=core.id, owner=core.owner, created_at=int(core.created_at),
        updated_at=int(core.updated_at), name=core.name, core_class=core.core_class,
        microarchitecture=core.microarchitecture, correlation_tracking=core.correlation_tracking,
        memory_size=core.memory_size, precision=core.precision)


def specs_of(core: builds_pb2.Core) -> common_pb2.CoreSpecs:
    return common_pb2.CoreSpecs(core_class=core.core_class, precision=core.precision,
                                memory_size=core.memory_size, microarchitecture=core.microarchitecture,
                                correlation_tracking=core.correlation_tracking)


def _owned(session, owner: str, core_id: str) -> Core:
    core = session.get(Core, core_id) if ids.is_id("core", core_id) else None
    if core is None or core.owner != owner:
        raise errors.NotFound(f"no core {core_id!r}: list yours with GET /cores, "
                              f"the default ones with GET /cores?default=true", CoreID=core_id)
    return core


def resolve(session, owner: str, core_ref: str, *, field: str = "CoreID") -> builds_pb2.Core:
    """A core a build may use: a default core (by id or name) or one of the caller's."""
    core_ref = (core_ref or "").strip()
    found = _DEFAULT_BY_ID.get(core_ref) or _DEFAULT_BY_NAME.get(core_ref.lower())
    if found is not None:
        return found
    core = session.get(Core, core_ref) if ids.is_id("core", core_ref) else None
    if core is None or core.owner != owner:
        raise errors.NotFound(f"{field} {core_ref!r} is neither one of your cores (GET /cores) nor a "
                              f"default core (GET /cores?default=true)", **{field: core_ref})
    return to_proto(core)


def _not_default(core_id: str, action: str) -> None:
    core = _DEFAULT_BY_ID.get(core_id)
    if core is not None:
        raise errors.PermissionDenied(
            f"{core.name} is a default core and cannot be {action}: create a custom core with "
            f"POST /cores instead", CoreID=core_id)


class CoreService(builds_pb2_grpc.CoreServiceServicer):
    def __init__(self, db):
        self.db = db

    def ListCores(self, request, context):
        user = identity.require_user()
        if request.default_cores:
            cores = DEFAULT_CORES
            if request.start_key:
                if request.start_key not in _DEFAULT_BY_ID:
                    raise errors.InvalidArgument(f"startKey {request.start_key!r} is not a default "
                                                 f"core's CoreID", field="startKey")
                cores = cores[cores.index(_DEFAULT_BY_ID[request.start_key]) + 1:]
            return builds_pb2.ListCoresResponse(user_id=user, count=len(cores), cores=cores)
        return fill_page(self.db, builds_pb2.ListCoresResponse(user_id=user), "cores",
                         sa.select(Core).where(Core.owner == user), Core, to_proto,
                         start_key=request.start_key)

    def CreateCore(self, request, context):
        user = identity.require_user()
        values = validate(request.name, request.core_class, request.microarchitecture,
                          request.correlation_tracking, request.memory_size, request.precision)
        now = time.time()
        core = Core(id=ids.new_id("core"), owner=user, created_at=now, updated_at=now, **values)
        with self.db.session() as s:
            s.add(core)
        return to_proto(core)

    def GetCore(self, request, context):
        user = identity.require_user()
        if request.core_id in _DEFAULT_BY_ID:
            return _DEFAULT_BY_ID[request.core_id]
        with self.db.session() as s:
            return to_proto(_owned(s, user, request.core_id))

    def UpdateCore(self, request, context):
        user = identity.require_user()
        _not_default(request.core_id, "changed")
        with self.db.session() as s:
            core = _owned(s, user, request.core_id)
            fields = ("name", "core_class", "microarchitecture", "correlation_tracking", "memory_size",
                      "precision")
            current = {f: getattr(core, f) for f in fields}
            wanted = {f: getattr(request, f) if request.HasField(f) else current[f] for f in fields}
            values = validate(**wanted)
            if values == current:
                raise errors.InvalidArgument(
                    "the request changes nothing: send at least one of Name, Class, Precision, "
                    "MemorySize, Microarchitecture, CorrelationTracking with a new value")
            for f, v in values.items():
                setattr(core, f, v)
            core.updated_at = time.time()
            return to_proto(core)

    def DeleteCore(self, request, context):
        user = identity.require_user()
        _not_default(request.core_id, "deleted")
        with self.db.session() as s:
            s.delete(_owned(s, user, request.core_id))
        return common_pb2.MessageReply(message="OK")
