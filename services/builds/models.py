"""The builds service's tables: custom cores, connected repositories, builds
and the variables discovered in them.

`created_at` is float epoch seconds so lists are newest first even within one
second (the API shows whole seconds). JSON columns hold API-shaped objects
(json names, e.g. {"Location": …}) so they convert to messages directly.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import Base


class BuildsBase(Base):
    __abstract__ = True
    metadata = sa.MetaData()


class Core(BuildsBase):
    __tablename__ = "builds_cores"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(40), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    core_class: Mapped[str] = mapped_column(sa.String(40))
    microarchitecture: Mapped[str] = mapped_column(sa.String(40))
    correlation_tracking: Mapped[str] = mapped_column(sa.String(40))
    memory_size: Mapped[int] = mapped_column(sa.BigInteger)
    precision: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[float] = mapped_column(sa.Float, index=True)
    updated_at: Mapped[float] = mapped_column(sa.Float)


class Repository(BuildsBase):
    __tablename__ = "builds_repositories"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(40), index=True)
    remote_url: Mapped[str] = mapped_column(sa.Text)
    commit: Mapped[str] = mapped_column(sa.String(200))
    branch: Mapped[str] = mapped_column(sa.String(400))
    build_directory: Mapped[str] = mapped_column(sa.Text)
    arguments: Mapped[str] = mapped_column(sa.Text)
    core: Mapped[str] = mapped_column(sa.String(200))
    data_sources: Mapped[list] = mapped_column(sa.JSON)
    trace_variables: Mapped[list] = mapped_column(sa.JSON)
    created_at: Mapped[float] = mapped_column(sa.Float, index=True)
    updated_at: Mapped[float] = mapped_column(sa.Float)


class Build(BuildsBase):
    __tablename__ = "builds_builds"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(40), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    transitions: Mapped[list] = mapped_column(sa.JSON)
    core_id: Mapped[str] = mapped_column(sa.String(40))
    core_specs: Mapped[dict] = mapped_column(sa.JSON)
    # "SourceCode": code/language/config_mk; "Repository": repository snapshot.
    application_type: Mapped[str] = mapped_column(sa.String(20))
    code: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(20), default="")
    config_mk: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    repository_id: Mapped[str | None] = mapped_column(sa.String(40), nullable=True, index=True)
    repository: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    arguments: Mapped[str] = mapped_column(sa.Text, default="")
    data_sources: Mapped[list] = mapped_column(sa.JSON)
    trace_variables: Mapped[list] = mapped_column(sa.JSON)
    discover_variables: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[float] = mapped_column(sa.Float, index=True)
    updated_at: Mapped[float] = mapped_column(sa.Float)
    started_at: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    artifact_available: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    build_time_ms: Mapped[int] = mapped_column(sa.Integer, default=0)
    build_size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # JetStream delivery count of the newest worker attempt; older attempts' reports are ignored.
    attempt: Mapped[int] = mapped_column(sa.Integer, default=0)


class BuildVariable(BuildsBase):
    __tablename__ = "builds_variables"
    build_id: Mapped[str] = mapped_column(sa.ForeignKey("builds_builds.id", ondelete="CASCADE"),
                                          primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(400))
    kind: Mapped[str] = mapped_column(sa.String(40))
    file: Mapped[str] = mapped_column(sa.Text)
    line: Mapped[int] = mapped_column(sa.Integer)
    function: Mapped[str] = mapped_column(sa.String(400))
