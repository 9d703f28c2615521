"""Users and API keys: creation, lookup by secret or KeyID, revocation."""
from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.fernet import Fernet

from services.common import ids
from services.common.db import Database

from .models import ApiKey, User

SECRET_PREFIX = "pnb_"


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class KeyCheck:
    """Outcome of looking a key up; `problem` is a message for the 401 when not ok."""
    user_id: str = ""
    key_id: str = ""
    secret: str = ""
    problem: str = ""


class KeyStore:
    def __init__(self, db: Database, server_key: str):
        self.db = db
        self.fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(server_key.encode()).digest()))

    # -- users -------------------------------------------------------------
    def ensure_user(self, name: str, is_admin: bool = False) -> str:
        with self.db.session() as s:
            user = s.scalar(sa.select(User).where(User.name == name))
            if user is None:
                user = User(id=ids.new_id("user"), name=name, is_admin=is_admin,
                            created_at=int(time.time()))
                s.add(user)
            return user.id

    def user_exists(self, user_id: str) -> bool:
        with self.db.session() as s:
            return s.get(User, user_id) is not None

    # -- keys --------------------------------------------------------------
    def create_key(self, owner: str, name: str, valid_until: int | None = None,
                   secret: str | None = None) -> tuple[ApiKey, str]:
        """Returns the stored key and its secret, which is never readable again."""
        secret = secret or SECRET_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(id=ids.new_id("key"), owner=owner, name=name, secret_sha256=_sha256(secret),
                     secret_encrypted=self.fernet.encrypt(secret.encode()),
                     created_at=int(time.time()), valid_until=valid_until)
        with self.db.session() as s:
            s.add(key)
        return key, secret

    def has_key(self, secret: str) -> bool:
        with self.db.session() as s:
            return s.scalar(sa.select(ApiKey.id).where(ApiKey.secret_sha256 == _sha256(secret))) is not None

    def keys_of(self, owner: str) -> list[ApiKey]:
        with self.db.session() as s:
            return list(s.scalars(sa.select(ApiKey).where(ApiKey.owner == owner,
                                                         ApiKey.revoked_at.is_(None))
                                  .order_by(ApiKey.created_at.desc(), ApiKey.id)))

    def revoke(self, owner: str, key_id: str) -> bool:
        with self.db.session() as s:
            key = s.get(ApiKey, key_id)
            if key is None or key.owner != owner or key.revoked_at is not None:
                return False
            key.revoked_at = int(time.time())
            return True

    def check_secret(self, secret: str) -> KeyCheck:
        """Signaloid style: the secret itself is the bearer credential."""
        with self.db.session() as s:
            key = s.scalar(sa.select(ApiKey).where(ApiKey.secret_sha256 == _sha256(secret)))
            return self._usable(key, secret)

    def check_key_id(self, key_id: str) -> KeyCheck:
        """Factory style: the KeyID names the key; the caller proves the secret by HMAC."""
        with self.db.session() as s:
            key = s.get(ApiKey, key_id) if ids.is_id("key", key_id) else None
            if key is None:
                return KeyCheck(problem="unknown API key")
            return self._usable(key, self.fernet.decrypt(key.secret_encrypted).decode())

    @staticmethod
    def _usable(key: ApiKey | None, secret: str) -> KeyCheck:
        if key is None:
            return KeyCheck(problem="unknown API key")
        if key.revoked_at is not None:
            return KeyCheck(problem="this API key was revoked")
        if key.valid_until is not None and key.valid_until < time.time():
            return KeyCheck(problem="this API key has expired")
        return KeyCheck(user_id=key.owner, key_id=key.id, secret=secret)
