"""The events service: health, webhooks, and the WebSocket event stream."""
from __future__ import annotations

from penumbra.v1 import events_pb2_grpc
from services.common import config, server
from services.common.nats import NatsClient

from . import websocket
from .health import HealthService

_state = {}


def register(grpc_server, settings: config.Settings):
    nats_client = NatsClient(settings.nats_url, "events")
    _state["nats"] = nats_client
    events_pb2_grpc.add_HealthServiceServicer_to_server(HealthService(settings, nats_client), grpc_server)
    # Webhooks are a later feature: the base servicer answers UNIMPLEMENTED.
    events_pb2_grpc.add_WebhookServiceServicer_to_server(events_pb2_grpc.WebhookServiceServicer(), grpc_server)
    _state["ws"] = websocket.start(settings, nats_client)
    return ["penumbra.v1.HealthService", "penumbra.v1.WebhookService"]


def _stop():
    if "ws" in _state:
        _state["ws"]()
    if "nats" in _state:
        _state["nats"].close()


def main() -> None:
    server.serve("events", register, on_stop=_stop)
