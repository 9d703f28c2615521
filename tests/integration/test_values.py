"""Values through the gateway: samples of a Reference-core value (paged),
samples drawn from a Ux string, and PNG plots of both."""
from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

from engine.ux import find_ux_strings
from tests.integration.test_tasks import ARGS_C, built, output, run_task

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def values(gateway, admin_key):
    """A Reference task's value id and a distributional task's Ux string: y = 2 * N(6, 0.5)."""
    with httpx.Client(base_url=gateway, headers={"Authorization": admin_key}, timeout=30) as api:
        builds = built(api, {"ref": (ARGS_C, "C0-Reference"), "dist": (ARGS_C, "C0-S")})
        ref = run_task(api, builds["ref"], Arguments="2")
        value_id = re.search(r"\[(val_[0-9a-f]{32})\]", output(api, ref["TaskID"])).group(1)
        dist = run_task(api, builds["dist"], Arguments="2")
        stdout = output(api, dist["TaskID"])
        (start, end, _, _), = find_ux_strings(stdout)
        return {"task": ref["TaskID"], "value": value_id, "ux": stdout[start:end]}


def test_reference_value_samples_page_with_a_token(api, values):
    base = f"/tasks/{values['task']}/values/{values['value']}/samples"
    whole = api.get(base)
    assert whole.status_code == 200, whole.text
    body = whole.json()
    assert body["Count"] == len(body["Samples"]) == 32           # C0-Reference: 32 runs
    assert "ContinuationToken" not in body
    assert np.mean(body["Samples"]) == pytest.approx(12.0, abs=0.6)
    assert np.std(body["Samples"]) == pytest.approx(1.0, rel=0.5)

    pages, token = [], None
    while True:
        r = api.get(base, params={"count": 10, **({"continuationToken": token} if token else {})}).json()
        pages.append(r["Samples"])
        token = r.get("ContinuationToken")
        if not token:
            break
    assert [len(p) for p in pages] == [10, 10, 10, 2]
    assert sum(pages, []) == body["Samples"]

    assert api.get(base, params={"count": 100001}).status_code == 400
    assert api.get(base, params={"continuationToken": "nope"}).status_code == 400
    assert api.get(f"/tasks/{values['task']}/values/val_{'0' * 32}/samples").status_code == 404


def test_samples_from_a_ux_string(api, values):
    r = api.post("/samples", params={"count": 5000}, json={"payload": values["ux"]})
    assert r.status_code == 200, r.text
    samples = np.array(r.json()["Samples"])
    assert r.json()["Count"] == 5000 and samples.size == 5000
    assert samples.mean() == pytest.approx(12.0, abs=0.1)
    assert samples.std() == pytest.approx(1.0, rel=0.15)
    # The text's form: GET with a JSON body; the default count; the legacy key.
    r = api.request("GET", "/samples", json={"payload": values["ux"]})
    assert r.status_code == 200 and r.json()["Count"] == 1000
    assert api.post("/samples", params={"count": 3}, json={"UxValue": values["ux"]}).json()["Count"] == 3
    bad = api.post("/samples", json={"payload": "12.5"})
    assert bad.status_code == 400 and "Ux string" in bad.json()["message"]
    assert api.post("/samples", json={}).status_code == 400


def _png(client: httpx.Client, url: str) -> bytes:
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(PNG_MAGIC) and len(r.content) > 5000
    return r.content


def test_plots_are_pngs_through_the_gateway(api, anon, values):
    task, value = values["task"], values["value"]
    r = api.post(f"/tasks/{task}/values/{value}/plot", params={"xAxisLabel": "y"})
    assert r.status_code == 200, r.text
    plot = r.json()
    assert re.fullmatch(r"plt_[0-9a-f]{32}", plot["plotID"]) and plot["PlotID"] == plot["plotID"]
    _png(anon, plot["presignedURL"])                               # presigned: no key needed
    _png(api, f"/plots/{plot['plotID']}")

    r = api.get("/plot", params={"taskID": task, "valueID": value, "fullResolution": "true"})
    assert r.status_code == 200, r.text
    _png(anon, r.json()["presignedURL"])

    r = api.post("/plot", params={"xLimMin": 8, "xLimMax": 16}, json={"payload": values["ux"]})
    assert r.status_code == 200, r.text
    _png(anon, r.json()["presignedURL"])

    assert api.post("/plot", params={"xLimMin": 8}, json={"payload": values["ux"]}).status_code == 400
    assert api.post("/plot", json={"payload": "not ux"}).status_code == 400
    assert api.get(f"/plots/plt_{'0' * 32}").status_code == 404


def test_values_are_the_owners_only(api, gateway, make_user, values):
    task, value = values["task"], values["value"]
    plot_id = api.post(f"/tasks/{task}/values/{value}/plot").json()["plotID"]
    other = make_user()
    with httpx.Client(base_url=gateway, headers={"Authorization": other.key}, timeout=30) as them:
        for method, path, params in [
                ("GET", f"/tasks/{task}/values/{value}/samples", {}),
                ("POST", f"/tasks/{task}/values/{value}/plot", {}),
                ("GET", "/plot", {"taskID": task, "valueID": value}),
                ("GET", f"/plots/{plot_id}", {})]:
            r = them.request(method, path, params=params, json={} if method == "POST" else None)
            assert r.status_code == 404, (method, path, r.text)
        r = them.post("/plot", json={"taskID": task, "valueID": value})
        assert r.status_code == 404, r.text
