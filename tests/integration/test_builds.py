"""Builds through the gateway: from source and from git repositories, on engine
workers via the work queue; failures, cancel, lists, outputs, isolation."""
from __future__ import annotations

import base64
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

PROGRAM = """#include <stdio.h>
#include <uxhw.h>
int main(int argc, char *argv[]) {
  double x = UxHwDoubleGaussDist(3.3, 0.01);
  double y = x * 2.0;
  printf("y = %lf\\n", y);
  return 0;
}
"""
BROKEN = """#include <stdio.h>
int main(void) {
  printf("%d\\n", undeclared_thing);
  return 0;
}
"""
# Constant evaluation that keeps g++ busy for minutes: something to cancel.
SLOW = """constexpr long spin() {
  long s = 0;
  for (long i = 0; i < 200000; i++)
    for (long j = 0; j < 200000; j++) s += (i ^ j) & 7;
  return s;
}
constexpr long value = spin();
int main() { return (int)(value & 1); }
"""
SLOW_CONFIG = "CFLAGS = -fconstexpr-ops-limit=1000000000000 -fconstexpr-loop-limit=1000000000\n"
FINAL = {"Completed", "Failed", "Cancelled", "Stopped"}


def wait_build(api, build_id: str, timeout: float = 60, until=FINAL) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = api.get(f"/builds/{build_id}")
        assert r.status_code == 200, r.text
        build = r.json()
        if build["Status"] in until:
            return build
        assert time.monotonic() < deadline, f"build still {build['Status']}: {build['StatusTransitions']}"
        time.sleep(0.05)


def default_core(api, name: str) -> str:
    cores = api.get("/cores", params={"default": "true"}).json()["Cores"]
    return next(c["CoreID"] for c in cores if c["Name"] == name)


def source_build(api, code=PROGRAM, **fields) -> str:
    r = api.post("/sourcecode/builds", json={"Code": code, "Language": "C", **fields})
    assert r.status_code == 200, r.text
    return r.json()["BuildID"]


def build_output(api, anon, build_id: str) -> str:
    url = api.get(f"/builds/{build_id}/outputs").json()["Build"]
    assert "token=" in url
    r = anon.get(url)                # a handed-out link works without the API key
    assert r.status_code == 200, r.text
    return r.text


def compilers_running(flag: str) -> list[int]:
    """Processes on this machine whose command line has `flag` (the stack runs here)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if flag.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.fixture
def other(gateway, make_user):
    user = make_user()
    with httpx.Client(base_url=gateway, headers={"Authorization": user.key}, timeout=30) as client:
        yield client


@pytest.mark.parametrize("core_name", ["C0-S", "C0-Reference"])
def test_build_from_source(api, anon, core_name):
    core_id = default_core(api, core_name)
    build_id = source_build(api, CoreID=core_id, Arguments="-n 3")
    build = wait_build(api, build_id)
    assert build["Status"] == "Completed", (build["StatusTransitions"], build_output(api, anon, build_id))
    assert [t["Status"] for t in build["StatusTransitions"]] == \
        ["Accepted", "Initialising", "In Progress", "Completed"]
    assert build["CoreID"] == core_id and build["Owner"].startswith("usr_")
    specs = build["BuildCoreSpecs"]
    assert specs["Microarchitecture"] == ("Athens" if core_name == "C0-S" else "Reference")
    assert build["BuildArtifactAvailable"] is True
    assert build["Stats"]["BuildTimeInMilliseconds"] > 0 and build["Stats"]["BuildSizeInBytes"] > 1000
    assert build["Application"]["Type"] == "SourceCode"
    assert build["Application"]["SourceCode"]["Language"] == "C"
    assert build["DefaultArguments"] == "-n 3"
    assert build["StartedAt"] >= build["CreatedAt"] and build["FinishedAt"] >= build["StartedAt"]


def test_base64_code_default_core_and_variables(api):
    encoded = base64.b64encode(PROGRAM.encode()).decode()
    build_id = source_build(api, code=encoded)
    r = api.post("/sourcecode/builds", params={"DiscoverVariables": "true"},
                 json={"Code": encoded, "Language": "c"})
    assert r.status_code == 200, r.text
    discovered = r.json()["BuildID"]
    build = wait_build(api, discovered)
    assert build["Status"] == "Completed", build["StatusTransitions"]
    assert build["Application"]["SourceCode"]["Code"] == PROGRAM      # decoded
    assert build["CoreID"] == default_core(api, "C0-S")               # the documented default
    body = api.get(f"/builds/{discovered}/variables").json()
    found = {(v["Name"], v["Type"], v["File"], v["Line"], v["Function"]) for v in body["Variables"]}
    assert ("x", "Variable", "main.c", 4, "main") in found
    assert ("argc", "Parameter", "main.c", 3, "main") in found
    assert body["Count"] == len(body["Variables"]) and body["Variables"][0]["Object"] == "Variable"
    # Without ?DiscoverVariables=true there is nothing to list, and the error says why.
    wait_build(api, build_id)
    r = api.get(f"/builds/{build_id}/variables")
    assert r.status_code == 400 and "DiscoverVariables=true" in r.json()["message"]


def test_compile_error_fails_with_compiler_output(api, anon):
    build_id = source_build(api, code=BROKEN, CoreID=default_core(api, "C0-Reference"))
    build = wait_build(api, build_id)
    assert build["Status"] == "Failed"
    assert build["BuildArtifactAvailable"] is False
    output = build_output(api, anon, build_id)
    assert "undeclared_thing" in output and "error" in output
    assert "main.c:3" in output


def test_bad_source_builds_are_refused(api):
    for body, words in [({"Code": "", "Language": "C"}, "Code"),
                        ({"Code": PROGRAM, "Language": "Rust"}, "Language"),
                        ({"Code": PROGRAM, "Language": "C", "CoreID": "cor_" + "0" * 32}, "CoreID"),
                        ({"Code": PROGRAM, "Language": "C",
                          "TraceVariables": [{"File": "main.c", "LineNumber": 0, "Expression": "y"}]},
                         "TraceVariables"),
                        ({"Code": PROGRAM, "Language": "C",
                          "DataSources": [{"ResourceID": "x", "ResourceType": "Gateway"}] * 6}, "DataSources")]:
        r = api.post("/sourcecode/builds", json=body)
        assert r.status_code in (400, 404), r.text
        assert words in r.json()["message"], r.text


def test_binary_only_for_microsd_cores(api, anon):
    plain = source_build(api, CoreID=default_core(api, "C0-Bypass"))
    r = api.post("/cores", json={"Name": "sd", "Class": "C0-microSD", "Microarchitecture": "Bypass",
                                 "CorrelationTracking": "Disable", "MemorySize": 256000000, "Precision": 32})
    core_id = r.json()["CoreID"]
    sd = source_build(api, CoreID=core_id)
    assert wait_build(api, plain)["Status"] == "Completed"
    r = api.get(f"/builds/{plain}/binary")
    assert r.status_code == 400 and "C0-microSD" in r.json()["message"]
    assert wait_build(api, sd)["Status"] == "Completed"
    r = api.get(f"/builds/{sd}/binary")
    assert r.status_code == 200, r.text
    binary = anon.get(r.json()["url"])
    assert binary.status_code == 200 and binary.content[:4] == b"\x7fELF"
    api.delete(f"/cores/{core_id}")


def test_cancel_kills_the_compiler(api):
    build_id = source_build(api, code=SLOW, Language="C++", ConfigMk=SLOW_CONFIG,
                            CoreID=default_core(api, "C0-Reference"))
    wait_build(api, build_id, until={"In Progress"} | FINAL)
    time.sleep(0.5)       # well into the compile
    assert compilers_running(SLOW_CONFIG.split()[2])
    r = api.delete(f"/builds/{build_id}")
    assert r.status_code == 400 and "cancel it first" in r.json()["message"]
    asked = time.monotonic()
    r = api.post(f"/builds/{build_id}/cancel")
    assert r.json() == {"Message": "Cancel Build Signal sent"}
    build = wait_build(api, build_id, timeout=10)
    assert build["Status"] == "Cancelled", build["StatusTransitions"]
    assert time.monotonic() - asked < 5
    assert not compilers_running(SLOW_CONFIG.split()[2]), "the cancelled compiler is still running"
    assert api.post(f"/builds/{build_id}/cancel").status_code == 400
    assert api.delete(f"/builds/{build_id}").json() == {"message": "OK"}
    assert api.get(f"/builds/{build_id}").status_code == 404


@pytest.fixture
def git_repo(tmp_path):
    """A local repository: src/ with two C files and a config.mk; a second commit breaks it."""
    repo = tmp_path / "demo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "main.c").write_text(
        '#include <stdio.h>\n#include <uxhw.h>\ndouble scaled(double x);\n'
        'int main(void) { printf("v = %lf\\n", scaled(UxHwDoubleUniformDist(0.0, 2.0))); return 0; }\n')
    (repo / "src" / "lib.c").write_text('#include <uxhw.h>\ndouble scaled(double x) { return SCALE * x; }\n')
    (repo / "src" / "config.mk").write_text("SOURCES = main.c lib.c\nCFLAGS = -DSCALE=3.0\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "works"], check=True)
    good = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    (repo / "src" / "config.mk").write_text("SOURCES = main.c lib.c\n")     # SCALE now undefined
    subprocess.run([*git, "-C", str(repo), "commit", "-qam", "breaks"], check=True)
    return repo, good


def test_repository_crud(api, git_repo):
    repo, good = git_repo
    r = api.post("/repositories", json={"RemoteURL": str(repo), "Branch": "main", "Commit": "",
                                        "BuildDirectory": "src", "Arguments": "a b"})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["Object"] == "Repository" and rep["RepositoryID"].startswith("rep_")
    rid = rep["RepositoryID"]
    assert api.get(f"/repositories/{rid}").json() == rep
    assert rid in [x["RepositoryID"] for x in api.get("/repositories").json()["Repositories"]]
    found = api.get("/repositories/lookup", params={"remoteURL": str(repo), "branch": "main"})
    assert found.json() == {"RepositoryID": rid}
    r = api.patch(f"/repositories/{rid}", json={"Commit": good})
    assert r.status_code == 200 and r.json()["Commit"] == good and r.json()["Arguments"] == "a b"
    r = api.patch(f"/repositories/{rid}", params={"remove": "Arguments"}, json={})
    assert r.status_code == 200 and r.json()["Arguments"] == ""
    assert api.patch(f"/repositories/{rid}", json={"Commit": good}).status_code == 400
    for bad, field in [({"RemoteURL": "ext::sh -c evil"}, "RemoteURL"),
                       ({"BuildDirectory": "../etc"}, "BuildDirectory"),
                       ({"Core": "cor_" + "1" * 32}, "Core")]:
        r = api.post("/repositories", json={"RemoteURL": str(repo), "Branch": "main", **bad})
        assert r.status_code in (400, 404) and field in r.json()["message"], r.text
    assert api.delete(f"/repositories/{rid}").json() == {"message": "OK"}
    assert api.get(f"/repositories/{rid}").status_code == 404


def test_build_from_local_git_repository(api, anon, git_repo):
    repo, good = git_repo
    rid = api.post("/repositories", json={"RemoteURL": f"file://{repo}", "Branch": "main", "Commit": good,
                                          "BuildDirectory": "src",
                                          "Core": default_core(api, "C0-Reference")}).json()["RepositoryID"]
    r = api.post(f"/repositories/{rid}/builds", params={"DiscoverVariables": "true"}, json={})
    assert r.status_code == 200, r.text
    pinned = r.json()["BuildID"]
    # The branch tip (second commit) no longer defines SCALE.
    api.patch(f"/repositories/{rid}", json={"Commit": "HEAD"})
    tip = api.post(f"/repositories/{rid}/builds", json={}).json()["BuildID"]
    build = wait_build(api, pinned)
    assert build["Status"] == "Completed", (build["StatusTransitions"], build_output(api, anon, pinned))
    assert build["Application"]["Type"] == "Repository"
    assert build["Application"]["Repository"]["Commit"] == good
    assert build["BuildCoreSpecs"]["Microarchitecture"] == "Reference"
    variables = api.get(f"/builds/{pinned}/variables").json()["Variables"]
    assert {"Name": "x", "Type": "Parameter", "File": "lib.c", "Line": 2, "Function": "scaled",
            "Object": "Variable"} in variables
    failed = wait_build(api, tip)
    assert failed["Status"] == "Failed"
    assert "SCALE" in build_output(api, anon, tip)
    listed = api.get(f"/repositories/{rid}/builds").json()
    assert [b["BuildID"] for b in listed["Builds"]] == [tip, pinned]


def test_unclonable_repository_fails_with_git_message(api, anon, tmp_path):
    rid = api.post("/repositories", json={"RemoteURL": str(tmp_path / "missing"), "Branch": "main",
                                          "BuildDirectory": ""}).json()["RepositoryID"]
    build_id = api.post(f"/repositories/{rid}/builds", json={}).json()["BuildID"]
    build = wait_build(api, build_id)
    message = build["StatusTransitions"][-1]["Message"]
    assert build["Status"] == "Failed" and "git clone failed: fatal:" in message and "missing" in message
    assert "does not appear to be a git repository" in build_output(api, anon, build_id)


def test_list_paging_and_filters(api):
    core = default_core(api, "C0-Bypass")
    made = [source_build(api, CoreID=core) for _ in range(3)]
    for build_id in made:
        wait_build(api, build_id)
    first = api.get("/builds", params={"limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [b["BuildID"] for b in body["Builds"]] == made[::-1][:2]      # newest first
    assert body["Count"] == 2 and body["ContinuationKey"] == made[1]
    rest = api.get("/builds", params={"limit": 2, "startKey": body["ContinuationKey"]}).json()
    assert rest["Builds"][0]["BuildID"] == made[0]
    now = time.time()
    recent = api.get("/builds", params={"from": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 120))})
    assert set(made) <= {b["BuildID"] for b in recent.json()["Builds"]}
    future = api.get("/builds", params={"from": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))})
    assert future.json()["Builds"] == [] and "ContinuationKey" not in future.json()
    old = api.get("/builds", params={"to": "2020-01-01T00:00:00Z"}).json()
    assert old["Count"] == 0
    done = api.get("/builds", params={"status": "Completed", "limit": 200}).json()["Builds"]
    assert set(made) <= {b["BuildID"] for b in done} and {b["Status"] for b in done} == {"Completed"}
    terse = api.get("/builds", params={"noexpand": "true", "limit": 1}).json()["Builds"][0]
    assert set(terse) >= {"BuildID", "Owner", "CreatedAt"} and terse["Status"] == ""
    for params, words in [({"from": "yesterday"}, "from"), ({"status": "Sleeping"}, "status"),
                          ({"startKey": "bld_" + "0" * 32}, "startKey"),
                          ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from")]:
        r = api.get("/builds", params=params)
        assert r.status_code == 400 and words in r.json()["message"], r.text


def test_another_user_sees_none_of_it(api, other, git_repo):
    build_id = source_build(api, CoreID=default_core(api, "C0-Bypass"))
    repo, _good = git_repo
    rid = api.post("/repositories", json={"RemoteURL": str(repo), "Branch": "main",
                                          "BuildDirectory": "src"}).json()["RepositoryID"]
    wait_build(api, build_id)
    for method, path in [("GET", f"/builds/{build_id}"), ("DELETE", f"/builds/{build_id}"),
                         ("POST", f"/builds/{build_id}/cancel"), ("GET", f"/builds/{build_id}/outputs"),
                         ("GET", f"/builds/{build_id}/output/Build"), ("GET", f"/builds/{build_id}/binary"),
                         ("GET", f"/builds/{build_id}/variables"), ("GET", f"/repositories/{rid}"),
                         ("DELETE", f"/repositories/{rid}"), ("GET", f"/repositories/{rid}/builds"),
                         ("POST", f"/repositories/{rid}/builds")]:
        r = other.request(method, path, json={} if method == "POST" else None)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    assert build_id not in [b["BuildID"] for b in other.get("/builds").json()["Builds"]]
    assert other.get("/repositories").json()["Count"] == 0
    # Nor can they build on someone else's custom core.
    core = api.post("/cores", json={"Name": "private", "Class": "C0", "Microarchitecture": "Bypass",
                                    "CorrelationTracking": "Disable", "MemorySize": 256000000,
                                    "Precision": 32}).json()["CoreID"]
    r = other.post("/sourcecode/builds", json={"Code": PROGRAM, "Language": "C", "CoreID": core})
    assert r.status_code == 404
    assert api.get(f"/builds/{build_id}").status_code == 200
    api.delete(f"/cores/{core}")
