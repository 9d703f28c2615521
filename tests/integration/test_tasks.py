"""Tasks through the gateway: run built programs with arguments on a
distributional core and on the Reference core, read their outputs, list,
cancel, survive a worker killed mid-task, and stay invisible to other users."""
from __future__ import annotations

import os
import re
import time

import httpx
import pytest

from engine.ux import find_ux_strings

ARGS_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <uxhw.h>

int main(int argc, char *argv[]) {
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	double x = UxHwDoubleGaussDist(3.0 * scale, 0.5);
	printf("argc = %d, last = %s\n", argc, argv[argc - 1]);
	printf("y = %lf\n", x * 2.0);
	fprintf(stderr, "done\n");
	return 0;
}
"""

LOOP_C = r"""
#include <unistd.h>
int main(void) {
	for (;;) usleep(1000);
}
"""

SLOW_C = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) {
	sleep(3);
	printf("finished after a nap\n");
	return 0;
}
"""

BROKEN_C = "int main(void) { return missing_symbol; }\n"

FINAL = {"Completed", "Cancelled", "Stopped", "Failed"}


# ---------------------------------------------------------------- helpers
def core_id(api: httpx.Client, name: str) -> str:
    r = api.get("/cores", params={"default": "true"})
    assert r.status_code == 200, r.text
    return next(c["CoreID"] for c in r.json()["Cores"] if c["Name"] == name)


def submit_build(api: httpx.Client, code: str, core: str) -> str:
    r = api.post("/sourcecode/builds", json={"Code": code, "Language": "C", "CoreID": core_id(api, core)})
    assert r.status_code in (200, 202), r.text
    return r.json()["BuildID"]


def wait_build(api: httpx.Client, build_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        b = api.get(f"/builds/{build_id}").json()
        if b["Status"] in FINAL:
            return b
        time.sleep(0.1)
    raise AssertionError(f"build {build_id} did not end in {timeout} s")


def built(api: httpx.Client, programs: dict[str, tuple[str, str]]) -> dict[str, str]:
    """{name: (code, core)} -> {name: BuildID}, every build Completed (submitted together)."""
    ids = {name: submit_build(api, code, core) for name, (code, core) in programs.items()}
    for name, build_id in ids.items():
        b = wait_build(api, build_id)
        assert b["Status"] == "Completed", (name, b)
    return ids


def create_task(api: httpx.Client, build_id: str, **body) -> str:
    r = api.post(f"/builds/{build_id}/tasks", json=body)
    assert r.status_code == 200, r.text     # 202 in the text: see docs/api-mapping.md
    task_id = r.json()["TaskID"]
    assert re.fullmatch(r"tsk_[0-9a-f]{32}", task_id)
    return task_id


def wait_task(api: httpx.Client, task_id: str, statuses=FINAL, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = api.get(f"/tasks/{task_id}")
        assert r.status_code == 200, r.text
        task = r.json()
        if task["Status"] in statuses:
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} not in {statuses} after {timeout} s: {task}")


def run_task(api: httpx.Client, build_id: str, **body) -> dict:
    task = wait_task(api, create_task(api, build_id, **body))
    assert task["Status"] == "Completed", task
    return task


def output(api: httpx.Client, task_id: str, stream: str = "Stdout") -> str:
    r = api.get(f"/tasks/{task_id}/output/{stream}")
    assert r.status_code == 200, r.text
    return r.text


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def builds(gateway, admin_key):
    with httpx.Client(base_url=gateway, headers={"Authorization": admin_key}, timeout=30) as api:
        return built(api, {"args": (ARGS_C, "C0-S"), "args_ref": (ARGS_C, "C0-Reference"),
                           "loop": (LOOP_C, "C0-S"), "slow": (SLOW_C, "C0-S")})


# ---------------------------------------------------------------- tests
def test_task_with_arguments_on_a_distributional_core(api, builds):
    task = run_task(api, builds["args"], Arguments="2 'two words'")
    assert task["BuildID"] == builds["args"]
    assert task["Arguments"] == "2 'two words'"
    statuses = [t["Status"] for t in task["StatusTransitions"]]
    assert statuses == ["Accepted", "Initialising", "In Progress", "Completed"], statuses
    assert task["CreatedAt"] <= task["StartedAt"] <= task["FinishedAt"]
    assert task["Stats"]["ExecutionTimeInMilliseconds"] > 0
    assert task["Stats"]["DynamicInstructions"] == 0      # not measured (documented)

    stdout = output(api, task["TaskID"])
    assert "argc = 3, last = two words" in stdout
    (_, _, _, y), = find_ux_strings(stdout)
    assert y.mean == pytest.approx(12.0, abs=0.05)         # 2 * N(6, 0.5)
    assert y.sd == pytest.approx(1.0, rel=0.1)
    assert output(api, task["TaskID"], "Stderr") == "done\n"
    assert output(api, task["TaskID"], "stdout") == stdout  # stream names are case-insensitive


def test_outputs_are_signed_gateway_urls(api, anon, builds):
    task = run_task(api, builds["args"])
    r = api.get(f"/tasks/{task['TaskID']}/outputs")
    assert r.status_code == 200, r.text
    outputs = r.json()
    assert outputs["StdoutChunks"] == []                   # small output: one part
    assert outputs["Stdout"].startswith(api.base_url.scheme + "://")
    # Fetched like a presigned URL: without the API key.
    stdout = anon.get(outputs["Stdout"])
    assert stdout.status_code == 200, stdout.text
    assert "argc = 1, last = " in stdout.text
    assert anon.get(outputs["Stderr"]).text == "done\n"
    # The token is good for that task's own URLs only.
    other = outputs["Stdout"].replace(task["TaskID"], "tsk_" + "0" * 32)
    assert anon.get(other).status_code == 401
    bad = api.get(f"/tasks/{task['TaskID']}/output/Stdin")
    assert bad.status_code == 400 and "Stdout or Stderr" in bad.json()["message"]


def test_task_on_the_reference_core_prints_value_ids(api, builds):
    task = run_task(api, builds["args_ref"], Arguments="1")
    stdout = output(api, task["TaskID"])
    assert "argc = 2, last = 1" in stdout
    assert re.search(r"y = 6\.\d+Ux[0-9A-F]+ \[val_[0-9a-f]{32}\]", stdout), stdout


def test_task_lists_filters_and_paging(api, builds):
    ids = [run_task(api, builds["args"])["TaskID"] for _ in range(3)]
    r = api.get(f"/builds/{builds['args']}/tasks")
    assert r.status_code == 200, r.text
    listed = [t["TaskID"] for t in r.json()["Tasks"]]
    assert listed[:3] == ids[::-1]                           # newest first
    assert r.json()["BuildID"] == builds["args"]

    seen, start = [], None
    while True:
        params = {"status": "Completed", "limit": 2, **({"startKey": start} if start else {})}
        page = api.get("/tasks", params=params).json()
        assert page["Count"] == len(page["Tasks"]) <= 2
        assert all(t["Status"] == "Completed" for t in page["Tasks"])
        seen += [t["TaskID"] for t in page["Tasks"]]
        start = page.get("ContinuationKey")
        if not start:
            break
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))

    assert api.get("/tasks", params={"status": "Running"}).status_code == 400
    r = api.get("/tasks", params={"from": "yesterday"})
    assert r.status_code == 400 and "ISO 8601" in r.json()["message"]
    assert api.get("/tasks", params={"from": "2999-01-01T00:00:00Z"}).json()["Tasks"] == []
    assert api.get("/tasks", params={"startKey": "tsk_" + "0" * 32}).status_code == 400


def test_tasks_need_a_completed_build_of_the_caller(api):
    assert api.post("/builds/bld_" + "0" * 32 + "/tasks", json={}).status_code == 404
    assert api.get("/builds/bld_" + "0" * 32 + "/tasks").status_code == 404
    failed = wait_build(api, submit_build(api, BROKEN_C, "C0-Reference"))
    assert failed["Status"] == "Failed", failed
    r = api.post(f"/builds/{failed['BuildID']}/tasks", json={})
    assert r.status_code == 400, r.text
    assert r.json()["details"][0]["reason"] == "FAILED_PRECONDITION"
    assert "Completed" in r.json()["message"]


def test_bad_task_input_is_refused_with_a_message(api, builds):
    path = f"/builds/{builds['args']}/tasks"
    r = api.post(path, json={"Arguments": "'unclosed"})
    assert r.status_code == 400 and "quotes" in r.json()["message"]
    source = {"Location": "/data", "ResourceID": "signaloid-cloud-storage:/x", "ResourceType": "Nope"}
    r = api.post(path, json={"DataSources": [source]})
    assert r.status_code == 400 and "ResourceType" in r.json()["message"]
    r = api.post(path, json={"DataSources": [{**source, "ResourceType": "SignaloidCloudStorage"}]})
    assert r.status_code == 400 and "DataSources" in r.json()["message"]


def test_cancel_a_running_task_kills_it(api, builds):
    task_id = create_task(api, builds["loop"])
    wait_task(api, task_id, {"In Progress"}, timeout=30)
    r = api.delete(f"/tasks/{task_id}")
    assert r.status_code == 400 and "cancel it" in r.json()["message"]
    started = time.monotonic()
    r = api.post(f"/tasks/{task_id}/cancel")
    assert r.status_code == 200, r.text
    assert r.json() == {"Message": "Cancel Task Signal sent"}
    task = wait_task(api, task_id, timeout=10)
    assert task["Status"] == "Cancelled", task
    assert time.monotonic() - started < 2.0
    assert api.post(f"/tasks/{task_id}/cancel").status_code == 400   # nothing left to cancel
    assert api.delete(f"/tasks/{task_id}").json() == {"message": "OK"}
    assert api.get(f"/tasks/{task_id}").status_code == 404


def test_killed_worker_reschedules_the_task(api, stack, builds):
    task_id = create_task(api, builds["slow"])
    wait_task(api, task_id, {"In Progress"}, timeout=30)
    _restart_worker(stack)
    task = wait_task(api, task_id, timeout=60)
    assert task["Status"] == "Completed", task
    statuses = [t["Status"] for t in task["StatusTransitions"]]
    assert statuses[:3] == ["Accepted", "Initialising", "In Progress"]
    assert statuses[3:] == ["Rescheduled", "Initialising", "In Progress", "Completed"], statuses
    assert "worker" in task["StatusTransitions"][3]["Message"]
    assert output(api, task_id) == "finished after a nap\n"


def _restart_worker(stack, **env):
    """Kills the engine worker (-9) and starts a new one with extra environment."""
    os.killpg(stack.procs["engine"].pid, 9)
    stack.procs.pop("engine").wait()
    saved = dict(stack.env)
    stack.env.update(env)
    try:
        stack.start_service("engine")
    finally:
        stack.env.clear()
        stack.env.update(saved)


def test_work_lost_too_often_stops_the_task(api, stack, builds):
    # With one delivery allowed, losing the worker once is too often: the task
    # must end as Stopped, not stay In Progress forever.
    _restart_worker(stack, PENUMBRA_WORK_MAX_DELIVER="1")
    try:
        task_id = create_task(api, builds["loop"])
        wait_task(api, task_id, {"In Progress"}, timeout=30)
        _restart_worker(stack, PENUMBRA_WORK_MAX_DELIVER="1")
        task = wait_task(api, task_id, timeout=60)
    finally:
        _restart_worker(stack)
    assert task["Status"] == "Stopped", task
    assert "worker" in task["StatusTransitions"][-1]["Message"]
    # The queue is clear again: new work runs.
    assert run_task(api, builds["slow"])["Status"] == "Completed"


def test_another_user_sees_none_of_it(api, gateway, make_user, builds):
    task_id = run_task(api, builds["args"])["TaskID"]
    other = make_user()
    with httpx.Client(base_url=gateway, headers={"Authorization": other.key}, timeout=30) as them:
        for method, path in [("GET", f"/tasks/{task_id}"), ("DELETE", f"/tasks/{task_id}"),
                             ("POST", f"/tasks/{task_id}/cancel"), ("GET", f"/tasks/{task_id}/outputs"),
                             ("GET", f"/tasks/{task_id}/output/Stdout"),
                             ("GET", f"/builds/{builds['args']}/tasks"),
                             ("POST", f"/builds/{builds['args']}/tasks")]:
            r = them.request(method, path, json={} if method == "POST" else None)
            assert r.status_code == 404, (method, path, r.text)
        assert them.get("/tasks").json()["Tasks"] == []
    assert api.get(f"/tasks/{task_id}").status_code == 200


BIG_C = r"""
#include <stdio.h>
int main(void) {
	for (int i = 0; i < 120000; i++) printf("line %06d of a large output............................\n", i);
	return 0;
}
"""


def test_large_output_redirects_to_a_download_url(api, anon):
    build_id = submit_build(api, BIG_C, "C0-Bypass")
    assert wait_build(api, build_id)["Status"] == "Completed"
    task = run_task(api, build_id)
    assert task["Status"] == "Completed", task["StatusTransitions"]
    r = api.get(f"/tasks/{task['TaskID']}/output/Stdout", follow_redirects=False)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert "token=" in location
    body = anon.get(location).text      # the download URL needs no key
    assert len(body) > 5_000_000
    assert body.splitlines()[-1].startswith("line 119999 ")
    chunks = api.get(f"/tasks/{task['TaskID']}/outputs").json()["StdoutChunks"]
    assert "".join(anon.get(u).text for u in chunks) == body
