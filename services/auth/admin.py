"""penumbra-admin: manage accounts on the server machine.

    python -m services.auth.admin create-user NAME [--email E] [--admin] [--key-name N] [--valid-until T]
    python -m services.auth.admin create-key USER [--name N] [--valid-until T]
    python -m services.auth.admin get-user USER
    python -m services.auth.admin list-users

USER is a user id (usr_…) or a username. Talks to the running auth service's
internal AccountService with the internal token from the same PENUMBRA_*
settings (data dir) as the platform, so run it where `make run` runs, as the
same user. Prints JSON; a new key's secret is printed once, never again.
"""
from __future__ import annotations

import argparse
import json
import sys

import grpc
from google.protobuf import json_format

from penumbra.v1 import auth_pb2, auth_pb2_grpc
from services.common import config, identity, ids


class AdminClient:
    """AccountService calls with the internal token (no user: acting as the system)."""

    def __init__(self, auth_addr: str, internal_token: str):
        self.channel = grpc.insecure_channel(auth_addr)
        self.stub = auth_pb2_grpc.AccountServiceStub(self.channel)
        self.md = identity.internal_metadata(internal_token)

    @classmethod
    def from_settings(cls, settings: config.Settings) -> "AdminClient":
        return cls(settings.service_addr("auth"), settings.internal_token)

    def close(self) -> None:
        self.channel.close()

    def create_user(self, username: str, email: str = "", admin: bool = False) -> auth_pb2.User:
        return self.stub.CreateUser(auth_pb2.CreateUserRequest(username=username, email=email, admin=admin),
                                    metadata=self.md, timeout=10)

    def get_user(self, user: str) -> auth_pb2.User:
        by = {"user_id": user} if ids.is_id("user", user) else {"username": user}
        return self.stub.GetUser(auth_pb2.GetUserRequest(**by), metadata=self.md, timeout=10)

    def list_users(self) -> auth_pb2.ListUsersResponse:
        return self.stub.ListUsers(auth_pb2.ListUsersRequest(), metadata=self.md, timeout=10)

    def create_key(self, user_id: str, name: str, valid_until: int | None = None) -> auth_pb2.Key:
        request = auth_pb2.AdminCreateKeyRequest(user_id=user_id, name=name)
        if valid_until is not None:
            request.valid_until = valid_until
        return self.stub.CreateKey(request, metadata=self.md, timeout=10)


def _print(message) -> None:
    print(json.dumps(json_format.MessageToDict(message), indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="penumbra-admin", description="Manage Penumbra accounts "
                                     "(run on the server machine, with the platform running).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-user", help="create a user and, by default, one API key")
    p.add_argument("username")
    p.add_argument("--email", default="")
    p.add_argument("--admin", action="store_true", help="may manage accounts")
    p.add_argument("--key-name", default="default", help="name of the first key")
    p.add_argument("--no-key", action="store_true", help="create no key")
    p.add_argument("--valid-until", type=int, help="key expiry, epoch seconds")
    p = sub.add_parser("create-key", help="create an API key for a user")
    p.add_argument("user", help="user id or username")
    p.add_argument("--name", default="admin-created")
    p.add_argument("--valid-until", type=int, help="epoch seconds; default: never expires")
    p = sub.add_parser("get-user", help="show a user")
    p.add_argument("user", help="user id or username")
    sub.add_parser("list-users", help="list every user")
    args = parser.parse_args(argv)

    client = AdminClient.from_settings(config.load())
    try:
        if args.command == "create-user":
            user = client.create_user(args.username, args.email, args.admin)
            _print(user)
            if not args.no_key:
                _print(client.create_key(user.user_id, args.key_name, args.valid_until))
        elif args.command == "create-key":
            _print(client.create_key(client.get_user(args.user).user_id, args.name, args.valid_until))
        elif args.command == "get-user":
            _print(client.get_user(args.user))
        else:
            _print(client.list_users())
    except grpc.RpcError as exc:
        hint = (" (is the platform running? start it with `make run`)"
                if exc.code() == grpc.StatusCode.UNAVAILABLE else "")
        print(f"penumbra-admin: {exc.details()}{hint}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
