"""The WebSocket event stream, behind the gateway at /websocket.

Follows the connection protocol of the Signaloid API text: connection_init ->
connection_ack, subscribe {id, channel} -> subscribe_success, then `data`
messages for that channel, `ka` keep-alives, and `error` for bad requests.
Channels are `<event-type>/<user>`; the user part may be the whole user id or
the part after `usr_` (the text's idToChannel helper). A caller may subscribe
only to their own channels. The gateway has already authenticated the
connection; this listener trusts the user header only with the internal token.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import uuid

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from services.common import config, identity, log
from services.common.nats import EVENT_TYPES, NatsClient, event_subject

KEEPALIVE_S = 30
logger = logging.getLogger("events.websocket")


def parse_channel(channel: str, user_id: str) -> str | None:
    """The event type of a channel this user may read, or None."""
    event_type, _, who = (channel or "").partition("/")
    if event_type not in EVENT_TYPES:
        return None
    if who not in (user_id, user_id.partition("_")[2]):
        return None
    return event_type


async def _session(ws, nats_client: NatsClient, user_id: str) -> None:
    subscriptions = []
    send_lock = asyncio.Lock()

    async def send(message: dict) -> None:
        async with send_lock:
            await ws.send(json.dumps(message))

    async def keepalive():
        while True:
            await asyncio.sleep(KEEPALIVE_S)
            await send({"type": "ka"})

    ka_task = None
    try:
        async for raw in ws:
            try:
                message = json.loads(raw)
                kind = message.get("type")
            except (ValueError, AttributeError):
                await send({"type": "error", "payload": {"message": "messages must be JSON objects"}})
                continue
            if kind == "connection_init":
                await send({"type": "connection_ack", "payload": {"connectionTimeoutMs": KEEPALIVE_S * 10000}})
                ka_task = ka_task or asyncio.create_task(keepalive())
            elif kind == "subscribe":
                sub_id = message.get("id") or str(uuid.uuid4())
                channel = message.get("channel", "")
                event_type = parse_channel(channel, user_id)
                if event_type is None:
                    await send({"type": "error", "id": sub_id, "channel": channel, "payload": {
                        "message": f"cannot subscribe to {channel!r}: use <event-type>/<your user id>, "
                                   f"event types: {', '.join(EVENT_TYPES)}"}})
                    continue

                async def deliver(msg, sub_id=sub_id, channel=channel):
                    await send({"type": "data", "id": sub_id, "channel": channel,
                                "payload": json.loads(msg.data)})
                subscriptions.append(await nats_client.nc.subscribe(
                    event_subject(user_id, event_type), cb=deliver))
                await send({"type": "subscribe_success", "id": sub_id, "channel": channel})
            elif kind == "ka":
                await send({"type": "ka"})
            else:
                await send({"type": "error", "payload": {"message": f"unknown message type {kind!r}"}})
    finally:
        if ka_task:
            ka_task.cancel()
        for sub in subscriptions:
            await sub.unsubscribe()


def start(settings: config.Settings, nats_client: NatsClient):
    """Serve on the events WebSocket port in the NATS loop; returns a stop function."""

    def check(connection, request):
        token = request.headers.get(identity.TOKEN_HEADER, "")
        if not hmac.compare_digest(token, settings.internal_token) or \
                not request.headers.get(identity.USER_HEADER):
            return Response(401, "Unauthorized", Headers([("Content-Type", "application/json")]),
                            b'{"code":16,"message":"connect through the Penumbra gateway with an API key"}')
        return None

    async def handler(ws):
        user_id = ws.request.headers[identity.USER_HEADER]
        log.event(logger, "websocket connected", user=user_id)
        await _session(ws, nats_client, user_id)

    async def run():
        return await serve(handler, settings.host, settings.events_ws_port, process_request=check)

    ws_server = nats_client.call(run())

    def stop():
        ws_server.close()
    return stop
