"""SQLAlchemy 2 sessions and Alembic migrations, one schema per service.

SQLite files by default (one per service under the data dir); PostgreSQL (or
any SQLAlchemy URL) through PENUMBRA_DATABASE_URL, where services share one
database but keep their own tables and their own Alembic version table.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from . import config

SERVICES_DIR = Path(__file__).resolve().parent.parent


class Base(DeclarativeBase):
    """Each service declares its own subclass so its metadata holds only its tables."""


class Database:
    def __init__(self, service: str, settings: config.Settings):
        self.service = service
        url = settings.database_url_for(service)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        kwargs = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine = sa.create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring this service's tables to the newest Alembic revision."""
        cfg = Config()
        cfg.set_main_option("script_location", str(SERVICES_DIR / self.service / "migrations"))
        cfg.attributes["version_table"] = f"alembic_version_{self.service}"
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    @contextlib.contextmanager
    def session(self):
        """A transaction: commits on success, rolls back on any exception."""
        with self._sessions.begin() as session:
            yield session


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")      # readers don't block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def run_migrations(context, target_metadata) -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    cfg = context.config
    connection = cfg.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata,
                      version_table=cfg.attributes["version_table"],
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


__all__ = ["Base", "Database", "Session", "run_migrations"]
