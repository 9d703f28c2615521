"""KeyService (public: a user's own API keys and `GET /users/me`) and
AccountService (internal: users and keys for the admin CLI)."""
from __future__ import annotations

from google.protobuf import struct_pb2

from penumbra.v1 import auth_pb2, auth_pb2_grpc, common_pb2
from services.common import errors, identity

from .keystore import KeyStore
from .models import ApiKey, User


def key_message(key: ApiKey, secret: str | None = None) -> auth_pb2.Key:
    msg = auth_pb2.Key(object="Key", key_id=key.id, name=key.name, owner=key.owner,
                       created_at=key.created_at)
    if secret is not None:
        msg.key = secret
    if key.valid_until is None:
        msg.valid_until.null_value = struct_pb2.NULL_VALUE
    else:
        msg.valid_until.number_value = key.valid_until
    return msg


def user_message(user: User) -> auth_pb2.User:
    return auth_pb2.User(object="User", user_id=user.id, username=user.name, email=user.email or "",
                         admin=user.is_admin, created_at=user.created_at)


def _valid_until(request) -> int | None:
    return request.valid_until if request.HasField("valid_until") else None


class KeyService(auth_pb2_grpc.KeyServiceServicer):
    def __init__(self, keys: KeyStore):
        self.keys = keys

    def CreateKey(self, request, context):
        owner = identity.require_user()
        key, secret = self.keys.create_key(owner, request.name.strip(), _valid_until(request))
        return key_message(key, secret)

    def ListKeys(self, request, context):
        owner = identity.require_user()
        keys = self.keys.keys_of(owner)
        return auth_pb2.ListKeysResponse(user_id=owner, keys=[key_message(k) for k in keys],
                                         count=len(keys))

    def DeleteKey(self, request, context):
        if not self.keys.revoke(identity.require_user(), request.key_id):
            raise errors.NotFound(f"no API key {request.key_id!r}: list yours with GET /keys",
                                  KeyID=request.key_id)
        return common_pb2.MessageReply(message="OK")

    def GetCurrentUser(self, request, context):
        user = self.keys.get_user(identity.require_user())
        if user is None:
            raise errors.Unauthenticated("the user of this API key no longer exists")
        return user_message(user)


class AccountService(auth_pb2_grpc.AccountServiceServicer):
    """For the admin CLI on the server machine: callers with the internal token
    and no user, or an admin's API key (services/common/identity.py)."""

    def __init__(self, keys: KeyStore):
        self.keys = keys

    def _require_admin(self) -> None:
        user = identity.caller()
        if user and not self.keys.is_admin(user):
            raise errors.PermissionDenied("only admins manage accounts")

    def _user(self, user_id: str = "", username: str = "") -> User:
        if not user_id and not username:
            raise errors.InvalidArgument("send UserID or Username")
        user = self.keys.get_user(user_id, username)
        if user is None:
            raise errors.NotFound(f"no user {user_id or username!r}")
        return user

    def CreateUser(self, request, context):
        self._require_admin()
        return user_message(self.keys.create_user(request.username.strip(), request.email.strip(),
                                                  request.admin))

    def GetUser(self, request, context):
        self._require_admin()
        return user_message(self._user(request.user_id, request.username))

    def ListUsers(self, request, context):
        self._require_admin()
        users = self.keys.list_users()
        return auth_pb2.ListUsersResponse(users=[user_message(u) for u in users], count=len(users))

    def CreateKey(self, request, context):
        self._require_admin()
        user = self._user(request.user_id)
        key, secret = self.keys.create_key(user.id, request.name.strip() or "admin-created",
                                           _valid_until(request))
        return key_message(key, secret)
