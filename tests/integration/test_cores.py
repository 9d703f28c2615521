"""Cores through the gateway: default cores, custom core CRUD, validation, isolation."""
from __future__ import annotations

import httpx
import pytest

CORE = {"Name": "My Athens", "Class": "C0", "Microarchitecture": "athens",
        "CorrelationTracking": "AUTOCORRELATION", "MemorySize": 256000, "Precision": 128}


@pytest.fixture
def other(gateway, make_user):
    user = make_user()
    with httpx.Client(base_url=gateway, headers={"Authorization": user.key}, timeout=30) as client:
        yield client


def test_default_cores_have_stable_ids(api):
    r = api.get("/cores", params={"default": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    names = {c["Name"]: c for c in body["Cores"]}
    assert {"C0-S", "C0-Reference", "C0-Bypass", "C0-XL+", "C0Pro-M"} <= set(names)
    assert body["Count"] == len(body["Cores"])
    s = names["C0-S"]
    assert (s["Class"], s["Microarchitecture"], s["Precision"], s["CorrelationTracking"]) == \
        ("C0", "Athens", 64, "Disable")
    assert s["CoreID"].startswith("cor_") and len(s["CoreID"]) == 36
    assert api.get("/cores", params={"default": "true"}).json()["Cores"] == body["Cores"]
    assert api.get(f"/cores/{s['CoreID']}").json() == s


def test_default_cores_cannot_change(api):
    s = next(c for c in api.get("/cores?default=true").json()["Cores"] if c["Name"] == "C0-S")
    r = api.patch(f"/cores/{s['CoreID']}", json={"Precision": 32})
    assert r.status_code == 403 and "default core" in r.json()["message"]
    r = api.delete(f"/cores/{s['CoreID']}")
    assert r.status_code == 403 and "POST /cores" in r.json()["message"]


def test_custom_core_crud(api):
    r = api.post("/cores", json=CORE)
    assert r.status_code == 200, r.text
    core = r.json()
    # Case-insensitive input, stored canonical.
    assert core["Object"] == "Core" and core["Microarchitecture"] == "Athens"
    assert core["CorrelationTracking"] == "Autocorrelation"
    assert core["CreatedAt"] == core["UpdatedAt"] > 0
    cid = core["CoreID"]
    assert api.get(f"/cores/{cid}").json() == core
    assert cid in [c["CoreID"] for c in api.get("/cores").json()["Cores"]]
    assert cid not in [c["CoreID"] for c in api.get("/cores?default=true").json()["Cores"]]

    r = api.patch(f"/cores/{cid}", json={"Precision": 256, "Name": "Renamed"})
    assert r.status_code == 200, r.text
    assert (r.json()["Precision"], r.json()["Name"], r.json()["MemorySize"]) == (256, "Renamed", 256000)
    r = api.patch(f"/cores/{cid}", json={"Precision": 256})
    assert r.status_code == 400 and "changes nothing" in r.json()["message"]
    r = api.patch(f"/cores/{cid}", json={"Microarchitecture": "Reference", "Precision": 100000})
    assert r.status_code == 200, r.text

    assert api.delete(f"/cores/{cid}").json() == {"message": "OK"}
    assert api.get(f"/cores/{cid}").status_code == 404
    assert api.delete(f"/cores/{cid}").status_code == 404


@pytest.mark.parametrize("change,words", [
    ({"Name": ""}, "Name"),
    ({"Class": "C1"}, "Class"),
    ({"Precision": 3}, "Precision"),
    ({"Precision": 8001}, "Precision"),
    ({"Microarchitecture": "Reference", "Precision": 1000001}, "Precision"),
    ({"MemorySize": 255999}, "MemorySize"),
    ({"Microarchitecture": "Paris"}, "Microarchitecture"),
    ({"CorrelationTracking": "sometimes"}, "CorrelationTracking"),
])
def test_core_validation(api, change, words):
    r = api.post("/cores", json={**CORE, **change})
    assert r.status_code == 400, r.text
    assert words in r.json()["message"]


def test_core_limits_accepted(api):
    for body in ({**CORE, "Microarchitecture": "Reference", "Precision": 1000000},
                 {**CORE, "Class": "C0-microSD-plus", "Precision": 4, "MemorySize": 4000000000}):
        r = api.post("/cores", json=body)
        assert r.status_code == 200, r.text
        api.delete(f"/cores/{r.json()['CoreID']}")


def test_core_list_paging(api):
    made = [api.post("/cores", json={**CORE, "Name": f"page {i}"}).json()["CoreID"] for i in range(3)]
    try:
        seen, key = [], None
        while True:
            body = api.get("/cores", params={"startKey": key} if key else {}).json()
            seen += [c["CoreID"] for c in body["Cores"]]
            key = body.get("ContinuationKey")
            if not key:
                break
        assert seen[:3] == made[::-1]        # newest first
        after = api.get("/cores", params={"startKey": made[2]}).json()["Cores"]
        assert [c["CoreID"] for c in after[:2]] == [made[1], made[0]]
        assert api.get("/cores", params={"startKey": "cor_nope"}).status_code == 400
    finally:
        for cid in made:
            api.delete(f"/cores/{cid}")


def test_another_user_sees_no_cores(api, other):
    cid = api.post("/cores", json=CORE).json()["CoreID"]
    try:
        assert other.get(f"/cores/{cid}").status_code == 404
        assert other.patch(f"/cores/{cid}", json={"Name": "mine"}).status_code == 404
        assert other.delete(f"/cores/{cid}").status_code == 404
        assert cid not in [c["CoreID"] for c in other.get("/cores").json()["Cores"]]
        assert other.get("/cores?default=true").json()["Count"] > 0
    finally:
        api.delete(f"/cores/{cid}")
