"""Lifecycle events through the gateway's WebSocket route: the connection
protocol of the Signaloid API text, and build/task status events published on
NATS by the builds and tasks services as work moves through its lifecycle."""
from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.integration.test_tasks import create_task, submit_build, wait_build, wait_task

PROGRAM = '#include <stdio.h>\nint main(void) { printf("hi\\n"); return 0; }\n'


def ws_url(gateway: str) -> str:
    return gateway.replace("http://", "ws://") + "/websocket"


def receive(ws, predicate, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if predicate(message):
            return message
    raise AssertionError("no matching message")


def test_websocket_needs_an_api_key(gateway):
    with pytest.raises(InvalidStatus) as err:
        connect(ws_url(gateway)).close()
    assert err.value.response.status_code == 401


def test_subscriptions_deliver_build_and_task_status_events(api, gateway, admin_key):
    user = api.get("/users/me").json()["UserID"]
    with connect(ws_url(gateway), additional_headers={"Authorization": admin_key}) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        # Another user's channel is refused; the text's short form of our own works.
        ws.send(json.dumps({"type": "subscribe", "id": "x", "channel": "task-status/usr_" + "0" * 32}))
        assert json.loads(ws.recv(timeout=10))["type"] == "error"
        for sub_id, channel in [("b", f"build-status/{user}"), ("t", f"task-status/{user.split('_')[1]}")]:
            ws.send(json.dumps({"type": "subscribe", "id": sub_id, "channel": channel}))
            ack = json.loads(ws.recv(timeout=10))
            assert ack == {"type": "subscribe_success", "id": sub_id, "channel": channel}

        build_id = submit_build(api, PROGRAM, "C0-Bypass")
        event = receive(ws, lambda m: m.get("id") == "b" and m["payload"]["data"].get("buildId") == build_id
                        and m["payload"]["data"].get("status") == "Completed")
        assert event["type"] == "data"
        assert event["payload"]["eventType"] == "build-status"
        assert event["payload"]["userId"] == user
        wait_build(api, build_id)

        task_id = create_task(api, build_id)
        seen = []
        while "Completed" not in seen:
            m = receive(ws, lambda m: m.get("id") == "t" and m["payload"]["data"].get("taskId") == task_id)
            seen.append(m["payload"]["data"]["status"])
        assert seen[0] in ("Accepted", "Initialising", "In Progress")
        assert wait_task(api, task_id)["Status"] == "Completed"
