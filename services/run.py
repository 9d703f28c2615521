"""Starts the whole platform on one machine: NATS with JetStream, every service,
one engine worker, and the Envoy gateway. `make run` runs this; the test
fixtures use the same Stack on free ports in a temporary directory.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway import render
from services.common import config
from services.common import nats as penumbra_nats

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DESCRIPTOR = ROOT / "build" / "api.pb"

# Process name -> python module; the order is the start order.
PROCESSES = {"auth": "services.auth", "builds": "services.builds", "tasks": "services.tasks",
             "files": "services.files", "events": "services.events", "engine": "engine.worker"}


def listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before listening on {port}")
        if listening(host, port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


def wait_healthy(addr: str, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(addr) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"exited with code {proc.returncode}")
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == \
                        health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{addr} not healthy after {timeout} s")


class Stack:
    """The platform's processes, started with one environment."""

    def __init__(self, env: dict[str, str] | None = None):
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        saved = os.environ.copy()
        os.environ.update(self.env)
        try:
            self.settings = config.load()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        # Resolved secrets go to the children so every process agrees.
        self.env["PENUMBRA_DATA_DIR"] = str(self.settings.data_dir)
        self.env["PENUMBRA_INTERNAL_TOKEN"] = self.settings.internal_token
        self.env["PENUMBRA_SECRET_KEY"] = self.settings.secret_key
        self.log_dir = self.settings.data_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}

    @property
    def gateway_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.gateway_port}"

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def start_nats(self) -> None:
        s = self.settings
        self._require_free(s.nats_port, "NATS")
        proc = self._spawn("nats", [str(BIN / "nats-server"), "-a", s.host, "-p", str(s.nats_port),
                                    "-js", "-sd", str(s.data_dir / "nats")])
        wait_for_port(s.host, s.nats_port, 20, proc)

        async def setup():
            nc = await penumbra_nats.connect(s.nats_url, "penumbra-run")
            try:
                await penumbra_nats.ensure_streams(nc.jetstream())
            finally:
                await nc.close()
        asyncio.run(setup())

    def _require_free(self, port: int, what: str) -> None:
        """A leftover process on our port would answer for us: refuse to start."""
        if listening(self.settings.host, port):
            raise RuntimeError(f"port {port} for {what} is already in use: is another Penumbra "
                               f"running? Stop it or set PENUMBRA_*_PORT (see README)")

    def start_service(self, name: str) -> None:
        self._require_free(int(self.settings.service_addr(name).rsplit(":", 1)[1]), name)
        proc = self._spawn(name, [sys.executable, "-m", PROCESSES[name]])
        try:
            wait_healthy(self.settings.service_addr(name), 60, proc)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{name} failed to start ({exc}); see {self.log_dir / (name + '.log')}")

    def render_gateway(self) -> Path:
        if not DESCRIPTOR.exists():
            raise RuntimeError(f"{DESCRIPTOR} is missing: run `make setup` first")
        path = self.settings.data_dir / "envoy.yaml"
        path.write_text(render.render(self.settings, DESCRIPTOR, self.settings.events_ws_port))
        return path

    def start_gateway(self) -> None:
        cfg = self.render_gateway()
        self._require_free(self.settings.gateway_port, "the gateway")
        proc = self._spawn("envoy", [str(BIN / "envoy"), "-c", str(cfg), "--use-dynamic-base-id",
                                     "--log-level", "warn", "--drain-time-s", "1"])
        wait_for_port(self.settings.host, self.settings.gateway_port, 30, proc)
        deadline = time.monotonic() + 30
        while True:   # the listener can accept before routes are live
            try:
                with urllib.request.urlopen(self.gateway_url + "/ping", timeout=2) as r:
                    if r.read() == b"pong":
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def start(self) -> "Stack":
        try:
            self.start_nats()
            for name in PROCESSES:
                self.start_service(name)
            self.start_gateway()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_process(self, name: str, timeout: float = 10) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        for name in ["envoy", *reversed(PROCESSES), "nats"]:
            self.stop_process(name)

    def bootstrap_api_key(self) -> str:
        if self.settings.bootstrap_api_key:
            return self.settings.bootstrap_api_key
        return (self.settings.data_dir / "bootstrap-api-key").read_text().strip()


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main() -> None:
    stack = Stack()
    # Ctrl-C and SIGTERM both stop everything (set explicitly: a shell that
    # started us in the background may have left SIGINT ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    try:
        stack.start()
        print(f"Penumbra is ready in {time.monotonic() - started:.1f} s\n"
              f"  gateway:          {stack.gateway_url}\n"
              f"  bootstrap API key: {stack.bootstrap_api_key()}\n"
              f"  data:             {stack.settings.data_dir}\n"
              f"  logs:             {stack.log_dir}\n"
              f"Try: curl {stack.gateway_url}/ping\n"
              f"     curl -H 'Authorization: <key>' {stack.gateway_url}/health\n"
              f"Press Ctrl-C to stop.", flush=True)
        while True:
            for name, proc in list(stack.procs.items()):
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; see {stack.log_dir / (name + '.log')}",
                          file=sys.stderr, flush=True)
                    stack.procs.pop(name)
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping Penumbra...", flush=True)
        stack.stop()


if __name__ == "__main__":
    main()
