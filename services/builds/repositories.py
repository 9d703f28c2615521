"""RepositoryService: connected git repositories and builds made from them.

RemoteURL is anything the workers can `git clone`: http(s)://, file://, or an
absolute path on the worker machines. Commit "" or "HEAD" means the tip of Branch.
BuildDirectory is relative to the repository root ("" = the root).
"""
from __future__ import annotations

import posixpath
import re
import time

import sqlalchemy as sa

from penumbra.v1 import builds_pb2, builds_pb2_grpc, common_pb2
from services.common import errors, ids, identity

from . import cores
from .models import Build, Repository
from .store import (Builds, build_to_proto, check_data_sources, check_trace_variables, fill_page,
                    from_json, to_json)

URL_SCHEMES = ("http://", "https://", "file://")
SCALARS = ("remote_url", "commit", "branch", "build_directory", "arguments", "core")
# `?remove=` names (json names, case-insensitive) -> column.
REMOVABLE = {"arguments": "arguments", "core": "core", "datasources": "data_sources",
             "tracevariables": "trace_variables", "commit": "commit"}


def to_proto(r: Repository) -> builds_pb2.Repository:
    msg = builds_pb2.Repository(
        object="Repository", repository_id=r.id, owner=r.owner, remote_url=r.remote_url, commit=r.commit,
        branch=r.branch, build_directory=r.build_directory, arguments=r.arguments, core=r.core,
        created_at=int(r.created_at), updated_at=int(r.updated_at))
    msg.data_sources.extend(from_json(d, common_pb2.DataSource()) for d in r.data_sources)
    msg.trace_variables.extend(from_json(t, common_pb2.TraceVariable()) for t in r.trace_variables)
    return msg


def _check(values: dict, session, owner: str) -> dict:
    url = values["remote_url"].strip()
    if not (url.startswith(URL_SCHEMES) or url.startswith("/")):
        raise errors.InvalidArgument(
            f"RemoteURL {url!r} is not one the server can clone: use http(s)://, file:// or an "
            f"absolute path", field="RemoteURL")
    values["remote_url"] = url
    values["branch"] = values["branch"].strip()
    values["commit"] = values["commit"].strip()
    if not values["branch"] and values["commit"] in ("", "HEAD"):
        raise errors.InvalidArgument("give a Branch, a Commit, or both", field="Branch")
    if values["branch"].startswith("-") or values["commit"].startswith("-") or \
            (values["commit"] and not re.fullmatch(r"[0-9A-Za-z._/-]+", values["commit"])):
        raise errors.InvalidArgument("Commit and Branch must be a commit hash, tag or branch name",
                                     field="Commit")
    directory = posixpath.normpath(values["build_directory"].strip() or ".")
    if directory.startswith(("/", "..")):
        raise errors.InvalidArgument(f"BuildDirectory {values['build_directory']!r} must be a path inside "
                                     f"the repository, relative to its root", field="BuildDirectory")
    values["build_directory"] = "" if directory == "." else directory
    if values["core"]:
        cores.resolve(session, owner, values["core"], field="Core")
    return values


def _owned(session, owner: str, repository_id: str) -> Repository:
    r = session.get(Repository, repository_id) if ids.is_id("repository", repository_id) else None
    if r is None or r.owner != owner:
        raise errors.NotFound(f"no repository {repository_id!r}: list yours with GET /repositories",
                              RepositoryID=repository_id)
    return r


class RepositoryService(builds_pb2_grpc.RepositoryServiceServicer):
    def __init__(self, builds: Builds):
        self.builds, self.db = builds, builds.db

    def ListRepositories(self, request, context):
        user = identity.require_user()
        return fill_page(self.db, builds_pb2.ListRepositoriesResponse(user_id=user), "repositories",
                         sa.select(Repository).where(Repository.owner == user), Repository, to_proto,
                         start_key=request.start_key)

    def ConnectRepository(self, request, context):
        user = identity.require_user()
        now = time.time()
        with self.db.session() as s:
            values = _check({f: getattr(request, f) for f in SCALARS}, s, user)
            r = Repository(id=ids.new_id("repository"), owner=user, created_at=now, updated_at=now,
                           data_sources=check_data_sources(request.data_sources),
                           trace_variables=check_trace_variables(request.trace_variables), **values)
            s.add(r)
            return to_proto(r)

    def LookupRepository(self, request, context):
        user = identity.require_user()
        query = sa.select(Repository.id).where(Repository.owner == user,
                                               Repository.remote_url == request.remote_url.strip())
        if request.branch:
            query = query.where(Repository.branch == request.branch)
        with self.db.session() as s:
            found = s.scalar(query.order_by(Repository.created_at.desc()).limit(1))
        if found is None:
            raise errors.NotFound(f"no connected repository with remoteURL {request.remote_url!r}"
                                  f"{' and branch ' + repr(request.branch) if request.branch else ''}")
        return builds_pb2.LookupRepositoryResponse(repository_id=found)

    def GetRepository(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            return to_proto(_owned(s, user, request.repository_id))

    def UpdateRepository(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            r = _owned(s, user, request.repository_id)
            before = to_proto(r)
            values = {f: getattr(request, f) if request.HasField(f) else getattr(r, f) for f in SCALARS}
            lists = {"data_sources": r.data_sources, "trace_variables": r.trace_variables}
            if request.data_sources:
                lists["data_sources"] = check_data_sources(request.data_sources)
            if request.trace_variables:
                lists["trace_variables"] = check_trace_variables(request.trace_variables)
            for name in request.remove:
                column = REMOVABLE.get(name.lower())
                if column is None:
                    raise errors.InvalidArgument(f"remove={name!r}: only {', '.join(REMOVABLE)} can be "
                                                 f"cleared", field="remove")
                if column in lists:
                    lists[column] = []
                else:
                    values[column] = ""
            values = _check(values, s, user)
            for f, v in {**values, **lists}.items():
                setattr(r, f, v)
            if to_proto(r) == before:
                raise errors.InvalidArgument(
                    "the request changes nothing: send at least one of RemoteURL, Commit, Branch, "
                    "BuildDirectory, Arguments, Core, DataSources, TraceVariables with a new value")
            r.updated_at = time.time()
            return to_proto(r)

    def DeleteRepository(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            s.delete(_owned(s, user, request.repository_id))
        return common_pb2.MessageReply(message="OK")

    def CreateRepositoryBuild(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            r = _owned(s, user, request.repository_id)
            core_ref = request.core_id or r.core or cores.DEFAULT_BUILD_CORE
            core = cores.resolve(s, user, core_ref, field="CoreID" if request.core_id else "Core")
            snapshot = to_json(to_proto(r))
            trace_variables = (check_trace_variables(request.trace_variables) if request.trace_variables
                               else r.trace_variables)
            data_sources = (check_data_sources(request.data_sources) if request.data_sources
                            else r.data_sources)
            arguments = request.arguments if request.HasField("arguments") else r.arguments
        build_id = self.builds.create(
            user, core_id=core.core_id, core_specs=to_json(cores.specs_of(core)),
            application_type="Repository", code="", language="", config_mk=None,
            repository_id=r.id, repository=snapshot, arguments=arguments, data_sources=data_sources,
            trace_variables=trace_variables, discover_variables=request.discover_variables,
            is_public=request.is_public)
        return builds_pb2.CreateBuildResponse(build_id=build_id)

    def ListRepositoryBuilds(self, request, context):
        user = identity.require_user()
        with self.db.session() as s:
            r = _owned(s, user, request.repository_id)
        return fill_page(self.db, builds_pb2.ListRepositoryBuildsResponse(repository_id=r.id), "builds",
                         sa.select(Build).where(Build.owner == user, Build.repository_id == r.id), Build,
                         build_to_proto, start_key=request.start_key, from_time=request.from_time,
                         to_time=request.to_time)
