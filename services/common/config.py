"""Configuration from PENUMBRA_* environment variables, with one-machine defaults.

Every process of the platform reads the same variables, so `services.run`
(and the test fixtures) configure the whole stack by setting them once.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

# Service name -> default gRPC port. The gateway is the only public listener.
SERVICE_PORTS = {"auth": 50051, "builds": 50052, "tasks": 50053, "files": 50054,
                 "events": 50055, "engine": 50056}
SERVICES = tuple(SERVICE_PORTS)


def _env(name: str, default: str) -> str:
    return os.environ.get("PENUMBRA_" + name, default)


def _persistent_secret(data_dir: Path, name: str) -> str:
    """A random secret made once and kept in the data dir, so restarts agree."""
    path = data_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(value)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str
    gateway_port: int
    events_ws_port: int          # the events service's WebSocket listener, behind the gateway
    envoy_admin_port: int
    nats_port: int
    nats_url: str
    database_url: str | None     # None: one SQLite file per service under data_dir
    internal_token: str          # proves a request came through the gateway or a peer service
    secret_key: str              # encrypts stored API-key secrets
    bootstrap_api_key: str | None
    log_level: str
    service_ports: dict[str, int]
    public_url: str = ""         # base of links handed to clients (signed download URLs)

    def service_addr(self, service: str) -> str:
        return f"{self.host}:{self.service_ports[service]}"

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        db_dir = self.data_dir / "db"
        db_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{db_dir / (service + '.sqlite')}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"


def load() -> Settings:
    data_dir = Path(_env("DATA_DIR", "./var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    host = _env("HOST", "127.0.0.1")
    nats_port = int(_env("NATS_PORT", "14222"))
    return Settings(
        data_dir=data_dir,
        host=host,
        gateway_port=int(_env("GATEWAY_PORT", "8080")),
        events_ws_port=int(_env("EVENTS_WS_PORT", "50065")),
        envoy_admin_port=int(_env("ENVOY_ADMIN_PORT", "19901")),
        nats_port=nats_port,
        nats_url=_env("NATS_URL", f"nats://{host}:{nats_port}"),
        database_url=os.environ.get("PENUMBRA_DATABASE_URL") or None,
        internal_token=_env("INTERNAL_TOKEN", "") or _persistent_secret(data_dir, "internal-token"),
        secret_key=_env("SECRET_KEY", "") or _persistent_secret(data_dir, "secret-key"),
        bootstrap_api_key=os.environ.get("PENUMBRA_BOOTSTRAP_API_KEY") or None,
        log_level=_env("LOG_LEVEL", "INFO"),
        service_ports={name: int(_env(name.upper() + "_PORT", str(default)))
                       for name, default in SERVICE_PORTS.items()},
        public_url=_env("PUBLIC_URL", f"http://{host}:{_env('GATEWAY_PORT', '8080')}").rstrip("/"),
    )
