"""Gateway authentication benchmark: a cheap authenticated GET (`/users/me`)
through Envoy at concurrency 1, 8 and 32, with the ext_authz check and without.

    .venv/bin/python -m tests.benchmarks.bench_auth [--requests N]

Starts the real stack on free loopback ports. "auth" is the stack's gateway:
Envoy asks the auth service (Check: key lookup by SHA-256 in SQLite, rate
limiter) before transcoding. "no auth" is a second Envoy rendered from the
same template with ext_authz disabled on its virtual host and the caller's
user id set as a static header instead, so the upstream call (KeyService.
GetCurrentUser in the auth process) is identical: the ratio is the cost of
the check. The rate limit is set high enough never to refuse, but still runs.
The load generator is one asyncio process with keep-alive HTTP/1.1
connections on the same machine, so absolute figures include its CPU.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from services.run import BIN, Stack, wait_for_port
from tests.conftest import free_port, stack_env

LEVELS = (1, 8, 32)
PATH = "/users/me"


async def _worker(host: str, port: int, request: bytes, count: int, latencies: list[float],
                  statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(count):
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load(host: str, port: int, headers: dict[str, str], concurrency: int, total: int):
    request = (f"GET {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    per_worker = max(1, total // concurrency)
    started = time.perf_counter()
    await asyncio.gather(*(_worker(host, port, request, per_worker, latencies, statuses)
                           for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, statuses


def measure(host: str, port: int, headers: dict[str, str], concurrency: int, total: int) -> dict:
    asyncio.run(_load(host, port, headers, concurrency, min(total, 200)))   # warm up
    rps, latencies, statuses = asyncio.run(_load(host, port, headers, concurrency, total))
    if set(statuses) != {200}:
        raise RuntimeError(f"unexpected statuses {statuses} at concurrency {concurrency}")
    q = statistics.quantiles(latencies, n=100)
    return {"rps": rps, "p50": q[49] * 1000, "p99": q[98] * 1000}


def no_auth_config(rendered: str, port: int, admin_port: int, user_id: str) -> str:
    """The same gateway, without the ext_authz check: the user comes from a static header."""
    out = re.sub(r"port_value: \d+}}\nstatic_resources", f"port_value: {admin_port}}}}}\nstatic_resources",
                 rendered, count=1)
    out = re.sub(r"(name: rest\n    address: \{socket_address: \{address: [^,]+, port_value: )\d+",
                 rf"\g<1>{port}", out, count=1)
    vhost = '            - name: api\n              domains: ["*"]\n'
    assert vhost in out and out != rendered, "the Envoy template changed: update bench_auth"
    return out.replace(vhost, vhost + (
        "              request_headers_to_add:\n"
        f"              - {{header: {{key: x-penumbra-user, value: \"{user_id}\"}}, "
        "append_action: OVERWRITE_IF_EXISTS_OR_ADD}\n"
        "              typed_per_filter_config:\n"
        "                envoy.filters.http.ext_authz:\n"
        "                  \"@type\": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute\n"
        "                  disabled: true\n"), 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])

    env = stack_env(tempfile.mkdtemp(prefix="penumbra-bench-"))
    env.update(PENUMBRA_LOG_LEVEL="WARNING", PENUMBRA_RATE_LIMIT_PER_SECOND="1000000",
               PENUMBRA_RATE_LIMIT_BURST="1000000")
    stack = Stack(env)
    envoy = None
    started = time.monotonic()
    stack.start()
    try:
        host, key = stack.settings.host, stack.bootstrap_api_key()
        me = urllib.request.Request(stack.gateway_url + PATH, headers={"Authorization": key})
        with urllib.request.urlopen(me) as r:
            user_id = re.search(rb'"UserID":"([^"]+)"', r.read()).group(1).decode()
        port = free_port()
        cfg = Path(stack.settings.data_dir) / "envoy-noauth.yaml"
        cfg.write_text(no_auth_config(stack.render_gateway().read_text(), port, free_port(), user_id))
        envoy = subprocess.Popen([str(BIN / "envoy"), "-c", str(cfg), "--use-dynamic-base-id",
                                  "--log-level", "error"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(host, port, 30, envoy)
        time.sleep(0.5)
        print(f"stack up in {time.monotonic() - started:.1f} s; GET {PATH}, {args.requests} requests "
              f"per point, {os.cpu_count()} CPUs shared by Envoy, services and the load generator")
        print(f"{'conc':>4} | {'auth req/s':>10} {'p50 ms':>7} {'p99 ms':>7} | "
              f"{'no-auth req/s':>13} {'p50 ms':>7} {'p99 ms':>7} | {'rps ratio':>9} {'p50 ratio':>9}")
        for c in LEVELS:
            a = measure(host, stack.settings.gateway_port, {"Authorization": key}, c, args.requests)
            n = measure(host, port, {}, c, args.requests)
            print(f"{c:>4} | {a['rps']:>10.0f} {a['p50']:>7.2f} {a['p99']:>7.2f} | "
                  f"{n['rps']:>13.0f} {n['p50']:>7.2f} {n['p99']:>7.2f} | "
                  f"{a['rps'] / n['rps']:>9.2f} {a['p50'] / n['p50']:>9.2f}", flush=True)
    finally:
        if envoy is not None:
            os.killpg(envoy.pid, 15)
            envoy.wait(10)
        stack.stop()


if __name__ == "__main__":
    main()
