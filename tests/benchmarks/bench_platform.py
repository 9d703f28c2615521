"""Platform latency through the gateway, on a whole stack started here on free ports:

* bench_task_latency: submit -> Completed of a tiny prebuilt program on C0-S
  (POST /builds/{id}/tasks, then GET /tasks/{id} until it has ended), p50/p95.
  Target p50 <= 300 ms (Signaloid's health canary: 5.5 s).
* bench_build_latency (added by the builds feature): build-from-source latency.

    .venv/bin/python -m tests.benchmarks bench_platform
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.run import Stack  # noqa: E402
from tests.conftest import stack_env  # noqa: E402

TINY_C = r"""
#include <stdio.h>
#include <uxhw.h>
int main(void) {
	printf("x = %lf\n", UxHwDoubleGaussDist(1.0, 0.1));
	return 0;
}
"""
FINAL = {"Completed", "Cancelled", "Stopped", "Failed"}
POLL_S = 0.005


def client(stack: Stack) -> httpx.Client:
    return httpx.Client(base_url=stack.gateway_url, headers={"Authorization": stack.bootstrap_api_key()},
                        timeout=60)


def wait_until_ended(api: httpx.Client, path: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(path).json()
        if body.get("Status") in FINAL:
            return body
        time.sleep(POLL_S)
    raise TimeoutError(f"{path} did not end in {timeout} s")


def percentiles(samples_ms: list[float]) -> str:
    s = sorted(samples_ms)
    p95 = s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]
    return f"p50 {statistics.median(s):.0f} ms, p95 {p95:.0f} ms, min {s[0]:.0f} ms, n={len(s)}"


def bench_task_latency(stack: Stack, runs: int = 40) -> None:
    with client(stack) as api:
        cores = api.get("/cores", params={"default": "true"}).json()["Cores"]
        core = next(c["CoreID"] for c in cores if c["Name"] == "C0-S")
        build_id = api.post("/sourcecode/builds", json={"Code": TINY_C, "Language": "C",
                                                         "CoreID": core}).json()["BuildID"]
        build = wait_until_ended(api, f"/builds/{build_id}")
        if build["Status"] != "Completed":
            raise RuntimeError(f"the benchmark program did not build: {build}")
        for _ in range(3):   # warm the worker, the services and their connections
            wait_until_ended(api, f"/tasks/{api.post(f'/builds/{build_id}/tasks', json={}).json()['TaskID']}")
        latencies, run_ms = [], []
        for _ in range(runs):
            started = time.perf_counter()
            r = api.post(f"/builds/{build_id}/tasks", json={})
            task = wait_until_ended(api, f"/tasks/{r.json()['TaskID']}")
            latencies.append((time.perf_counter() - started) * 1000)
            if task["Status"] != "Completed":
                raise RuntimeError(f"benchmark task ended {task['Status']}: {task['StatusTransitions']}")
            run_ms.append(task["Stats"]["ExecutionTimeInMilliseconds"])
    print(f"task submit -> Completed on C0-S through the gateway: {percentiles(latencies)} "
          f"(target p50 <= 300 ms; Signaloid canary 5.5 s)")
    print(f"  of which the program's sandboxed run: median {statistics.median(run_ms):.0f} ms")


def bench_build_latency(stack: Stack, runs: int = 20) -> None:
    """POST /sourcecode/builds -> Completed (GET /builds/{id} until it has ended) of the
    tiny program, per core; the build's own BuildTimeInMilliseconds (compile and
    store on the worker) shows what the queue, the reports and the polling add."""
    with client(stack) as api:
        cores = {c["Name"]: c["CoreID"] for c in api.get("/cores", params={"default": "true"}).json()["Cores"]}
        for name in ("C0-S", "C0-Reference"):
            latencies, build_ms = [], []
            for i in range(runs + 2):     # two warm-up builds (compiler caches, connections)
                code = TINY_C + f"/* {i} */\n"      # not the same text twice
                started = time.perf_counter()
                r = api.post("/sourcecode/builds", json={"Code": code, "Language": "C", "CoreID": cores[name]})
                build = wait_until_ended(api, f"/builds/{r.json()['BuildID']}")
                if build["Status"] != "Completed":
                    raise RuntimeError(f"benchmark build ended {build['Status']}: {build['StatusTransitions']}")
                if i >= 2:
                    latencies.append((time.perf_counter() - started) * 1000)
                    build_ms.append(build["Stats"]["BuildTimeInMilliseconds"])
            print(f"build from source -> Completed on {name} through the gateway: {percentiles(latencies)} "
                  f"(target p50 <= 1.5 s; Signaloid canary 14.2 s)")
            print(f"  of which compiling and storing on the worker: median {statistics.median(build_ms):.0f} ms")


def main() -> None:
    env = stack_env(tempfile.mkdtemp(prefix="penumbra-bench-"))
    env.update(PENUMBRA_LOG_LEVEL="WARNING", PENUMBRA_RATE_LIMIT_PER_SECOND="1000000",
               PENUMBRA_RATE_LIMIT_BURST="1000000")
    stack = Stack(env).start()
    try:
        for name in ("bench_task_latency", "bench_build_latency"):
            bench = globals().get(name)
            if bench is not None:
                bench(stack)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
