"""The auth service's tables: users and their API keys."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import Base


class AuthBase(Base):
    __abstract__ = True
    metadata = sa.MetaData()


class User(AuthBase):
    __tablename__ = "auth_users"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    email: Mapped[str] = mapped_column(sa.String(320), default="")
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[int] = mapped_column(sa.BigInteger)


class ApiKey(AuthBase):
    """The secret is stored twice, neither in plain text: a SHA-256 for bearer
    lookup, and encrypted with the server key because HMAC checks need it back."""
    __tablename__ = "auth_api_keys"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.ForeignKey("auth_users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    secret_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[int] = mapped_column(sa.BigInteger)
    valid_until: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    revoked_at: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
