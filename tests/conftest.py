"""Session fixtures: the real stack (NATS, every service, an engine worker,
Envoy) on free ports in a temporary directory. End-to-end tests go through
the gateway only."""
from __future__ import annotations

import os
import secrets
import socket
from types import SimpleNamespace

import httpx
import pytest

from services.common import config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_env(data_dir) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PENUMBRA_")}
    env.update({
        "PENUMBRA_DATA_DIR": str(data_dir),
        "PENUMBRA_GATEWAY_PORT": str(free_port()),
        "PENUMBRA_ENVOY_ADMIN_PORT": str(free_port()),
        "PENUMBRA_NATS_PORT": str(free_port()),
        "PENUMBRA_EVENTS_WS_PORT": str(free_port()),
        "PENUMBRA_BOOTSTRAP_API_KEY": "pnb_test_" + secrets.token_urlsafe(16),
        "PENUMBRA_LOG_LEVEL": "INFO",
        # Work of a killed worker is redelivered after this; short so the
        # worker-crash test does not wait the 30 s default.
        "PENUMBRA_WORK_ACK_WAIT_S": "5",
    })
    for name in config.SERVICES:
        env[f"PENUMBRA_{name.upper()}_PORT"] = str(free_port())
    return env


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    from services.run import Stack
    s = Stack(stack_env(tmp_path_factory.mktemp("penumbra")))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def gateway(stack) -> str:
    return stack.gateway_url


@pytest.fixture(scope="session")
def admin_key(stack) -> str:
    return stack.bootstrap_api_key()


@pytest.fixture
def api(gateway, admin_key):
    """An HTTP client logged in as the bootstrap admin, Signaloid style."""
    with httpx.Client(base_url=gateway, headers={"Authorization": admin_key}, timeout=30) as client:
        yield client


@pytest.fixture
def anon(gateway):
    with httpx.Client(base_url=gateway, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def make_user(stack):
    """make_user(name=None) -> (user_id, username, key_id, key): a new user with one API
    key, made through the auth service's internal AccountService like the admin CLI."""
    from services.auth.admin import AdminClient
    client = AdminClient.from_settings(stack.settings)

    def make(name: str | None = None) -> SimpleNamespace:
        user = client.create_user(name or "user-" + secrets.token_hex(6))
        key = client.create_key(user.user_id, "test")
        return SimpleNamespace(user_id=user.user_id, username=user.username, key_id=key.key_id, key=key.key)

    yield make
    client.close()
