"""The tasks service's tables: tasks, their traced values, and plots."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import Base


class TasksBase(Base):
    __abstract__ = True
    metadata = sa.MetaData()


class Task(TasksBase):
    __tablename__ = "tasks_tasks"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(40), index=True)
    build_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    transitions: Mapped[list] = mapped_column(sa.JSON, default=list)
    arguments: Mapped[str] = mapped_column(sa.Text, default="")
    data_sources: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Copied from the build when the task is created: the worker runs on these.
    core_specs: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    trace_variables: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    updated_at: Mapped[int] = mapped_column(sa.BigInteger)
    started_at: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    finished_at: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    dynamic_instructions: Mapped[float] = mapped_column(sa.Float, default=0.0)
    processor_time_ms: Mapped[float] = mapped_column(sa.Float, default=0.0)
    execution_ms: Mapped[float] = mapped_column(sa.Float, default=0.0)
    # JetStream delivery count of the run that owns the task now; reports of
    # older attempts are ignored.
    attempt: Mapped[int] = mapped_column(sa.Integer, default=0)
    worker_id: Mapped[str] = mapped_column(sa.String(100), default="")
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Sizes of the stored output blobs; None until the worker uploaded them.
    stdout_size: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    stderr_size: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    exit_code: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)


class TaskValue(TasksBase):
    """A distributional value a task printed or traced. Samples (Reference core)
    live in the blob tasks/<task>/values/<value> as little-endian float64."""
    __tablename__ = "tasks_values"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    task_id: Mapped[str] = mapped_column(sa.ForeignKey("tasks_tasks.id", ondelete="CASCADE"), index=True)
    owner: Mapped[str] = mapped_column(sa.String(40))
    expression: Mapped[str] = mapped_column(sa.Text, default="")
    file: Mapped[str] = mapped_column(sa.Text, default="")
    line_number: Mapped[int] = mapped_column(sa.Integer, default=0)
    ux: Mapped[str] = mapped_column(sa.Text, default="")
    sample_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Plot(TasksBase):
    """A PNG plot; the image is the blob plots/<id>.png."""
    __tablename__ = "tasks_plots"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(40), index=True)
    created_at: Mapped[int] = mapped_column(sa.BigInteger)
    task_id: Mapped[str] = mapped_column(sa.String(40), default="")
    value_id: Mapped[str] = mapped_column(sa.String(40), default="")
