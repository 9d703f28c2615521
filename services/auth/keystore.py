"""Users and API keys: creation, lookup by secret or KeyID, revocation.

A key's secret is stored twice, neither in plain text: a SHA-256 for the
bearer lookup, and Fernet-encrypted with the server key because the factory
HMAC check needs the secret back.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.fernet import Fernet

from services.common import errors, ids
from services.common.db import Database

from .models import ApiKey, User

SECRET_PREFIX = "pnb_"
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}")
MAX_KEY_NAME = 200
# Key lookups of the gateway check are cached this long. Revocation in this
# process drops the entry at once; another auth instance may accept a revoked
# key for up to this many seconds. Expiry is checked on every use.
LOOKUP_CACHE_SECONDS = 2.0


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
        # ("sha", digest) or ("id", key id) -> (forget at, key row or None, secret)
        self._lookups: dict[tuple[str, str], tuple[float, ApiKey | None, str]] = {}
        self._lookups_lock = threading.Lock()

    def _cached(self, kind: str, value: str, load) -> tuple[ApiKey | None, str]:
        now = time.monotonic()
        hit = self._lookups.get((kind, value))
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        key, secret = load()
        with self._lookups_lock:
            if len(self._lookups) > 10_000:
                self._lookups.clear()
            self._lookups[(kind, value)] = (now + LOOKUP_CACHE_SECONDS, key, secret)
        return key, secret

    # -- users -------------------------------------------------------------
    def ensure_user(self, name: str, is_admin: bool = False) -> str:
        with self.db.session() as s:
            user = s.scalar(sa.select(User).where(User.name == name))
            if user is None:
                user = User(id=ids.new_id("user"), name=name, email="", is_admin=is_admin,
                            created_at=int(time.time()))
                s.add(user)
            return user.id

    def create_user(self, name: str, email: str = "", is_admin: bool = False) -> User:
        if not USERNAME.fullmatch(name or ""):
            raise errors.InvalidArgument(
                "Username must be 1-200 characters: letters, digits and . _ @ + -, "
                "starting with a letter or digit", field="Username")
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
            raise errors.InvalidArgument("Email must look like name@example.org", field="Email")
        with self.db.session() as s:
            if s.scalar(sa.select(User.id).where(User.name == name)) is not None:
                raise errors.AlreadyExists(f"a user named {name!r} already exists: pick another Username")
            user = User(id=ids.new_id("user"), name=name, email=email, is_admin=is_admin,
                        created_at=int(time.time()))
            s.add(user)
        return user

    def get_user(self, user_id: str = "", name: str = "") -> User | None:
        with self.db.session() as s:
            if user_id:
                return s.get(User, user_id) if ids.is_id("user", user_id) else None
            return s.scalar(sa.select(User).where(User.name == name))

    def list_users(self) -> list[User]:
        with self.db.session() as s:
            return list(s.scalars(sa.select(User).order_by(User.created_at, User.id)))

    def user_exists(self, user_id: str) -> bool:
        return self.get_user(user_id) is not None

    def is_admin(self, user_id: str) -> bool:
        user = self.get_user(user_id)
        return bool(user and user.is_admin)

    # -- keys --------------------------------------------------------------
    def create_key(self, owner: str, name: str, valid_until: int | None = None,
                   secret: str | None = None) -> tuple[ApiKey, str]:
        """Returns the stored key and its secret, which is never readable again."""
        if not name or len(name) > MAX_KEY_NAME:
            raise errors.InvalidArgument(f"Name is required, at most {MAX_KEY_NAME} characters",
                                         field="Name")
        if valid_until is not None and valid_until <= time.time():
            raise errors.InvalidArgument("ValidUntil must be in the future (epoch seconds), "
                                         "or null for a key that never expires", field="ValidUntil")
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
        """False when `owner` has no such live key (another user's key counts as missing)."""
        if not ids.is_id("key", key_id):
            return False
        with self.db.session() as s:
            key = s.get(ApiKey, key_id)
            if key is None or key.owner != owner or key.revoked_at is not None:
                return False
            key.revoked_at = int(time.time())
        with self._lookups_lock:
            self._lookups.pop(("id", key_id), None)
            self._lookups.pop(("sha", key.secret_sha256), None)
        return True

    def check_secret(self, secret: str) -> KeyCheck:
        """Signaloid style: the secret itself is the bearer credential."""
        digest = _sha256(secret)

        def load():
            with self.db.session() as s:
                return s.scalar(sa.select(ApiKey).where(ApiKey.secret_sha256 == digest)), ""
        key, _ = self._cached("sha", digest, load)
        # The index lookup found it by hash; compare again in constant time anyway.
        if key is not None and not hmac.compare_digest(key.secret_sha256, digest):
            key = None
        return self._usable(key, secret)

    def check_key_id(self, key_id: str) -> KeyCheck:
        """Factory style: the KeyID names the key; the caller proves the secret by HMAC."""
        if not ids.is_id("key", key_id):
            return self._usable(None, "")

        def load():
            with self.db.session() as s:
                key = s.get(ApiKey, key_id)
            return key, self.fernet.decrypt(key.secret_encrypted).decode() if key else ""
        key, secret = self._cached("id", key_id, load)
        return self._usable(key, secret)

    @staticmethod
    def _usable(key: ApiKey | None, secret: str) -> KeyCheck:
        if key is None:
            return KeyCheck(problem="unknown API key: check the key, or create one with POST /keys")
        if key.revoked_at is not None:
            return KeyCheck(problem="this API key was revoked: use another key")
        if key.valid_until is not None and key.valid_until < time.time():
            return KeyCheck(problem="this API key has expired: create a new one with POST /keys")
        return KeyCheck(user_id=key.owner, key_id=key.id, secret=secret)
