"""NATS JetStream: connection, idempotent stream set-up, event publishing.

Two streams: a work queue that engine workers pull builds, tasks and jobs from
(each message delivered to one worker, acked when done, redelivered after a
crash), and the lifecycle events that the events service fans out.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import uuid

import nats
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

WORK_STREAM = "PENUMBRA_WORK"
WORK_SUBJECTS = "penumbra.work.>"
EVENTS_STREAM = "PENUMBRA_EVENTS"
EVENTS_SUBJECTS = "penumbra.events.>"

# Deliveries of one work message before JetStream gives up on it (each one a
# worker that died or could not finish); see NatsClient.on_abandoned_work.
WORK_MAX_DELIVER = int(os.environ.get("PENUMBRA_WORK_MAX_DELIVER", "5"))
ABANDONED_ADVISORY = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{WORK_STREAM}.*"

logger = logging.getLogger("penumbra.nats")

# The six event types of the Signaloid API text.
EVENT_TYPES = ("task-status", "build-status", "task-count", "build-count", "task-stats",
               "build-stats")

STREAMS = (
    StreamConfig(name=WORK_STREAM, subjects=[WORK_SUBJECTS], retention=RetentionPolicy.WORK_QUEUE,
                 storage=StorageType.FILE, duplicate_window=120.0),
    StreamConfig(name=EVENTS_STREAM, subjects=[EVENTS_SUBJECTS], retention=RetentionPolicy.LIMITS,
                 storage=StorageType.FILE, max_age=7 * 24 * 3600.0, duplicate_window=120.0),
)


async def connect(url: str, name: str):
    """Connect with endless reconnects: services outlive NATS restarts."""
    return await nats.connect(url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5)


async def ensure_streams(js) -> None:
    """Create the streams, or update them to this config; safe to run concurrently."""
    for cfg in STREAMS:
        try:
            await js.stream_info(cfg.name)
            await js.update_stream(cfg)
        except NotFoundError:
            try:
                await js.add_stream(cfg)
            except BadRequestError:   # another process created it first
                await js.update_stream(cfg)


def event_subject(user_id: str, event_type: str) -> str:
    return f"penumbra.events.{user_id}.{event_type}"


def event_envelope(user_id: str, event_type: str, data: dict) -> dict:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return {"version": "1", "eventType": event_type, "userId": user_id,
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
            "data": data}


async def publish_event(js, user_id: str, event_type: str, data: dict,
                        event_id: str | None = None) -> None:
    body = json.dumps(event_envelope(user_id, event_type, data)).encode()
    await js.publish(event_subject(user_id, event_type), body,
                     headers={"Nats-Msg-Id": event_id or uuid.uuid4().hex})


class NatsClient:
    """A JetStream client for threaded code: gRPC servicers run in a thread pool,
    nats-py is asyncio, so one event loop thread per process does the I/O."""

    def __init__(self, url: str, name: str):
        import asyncio
        import threading
        self._asyncio = asyncio
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="nats", daemon=True).start()
        self.nc = self.call(connect(url, name))
        self.js = self.nc.jetstream()

    def call(self, coro, timeout: float = 10.0):
        return self._asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def publish_event(self, user_id: str, event_type: str, data: dict,
                      event_id: str | None = None) -> None:
        self.call(publish_event(self.js, user_id, event_type, data, event_id))

    def publish_work(self, kind: str, resource_id: str, body: bytes, attempt_id: str) -> None:
        """Queue work for engine workers; `attempt_id` dedupes a retried publish."""
        self.call(self.js.publish(work_subject(kind, resource_id), body,
                                  headers={"Nats-Msg-Id": attempt_id}))

    def on_abandoned_work(self, kind: str, callback) -> None:
        """Calls callback(resource_id, deliveries) in a thread when JetStream stops
        redelivering a `kind` work message (max deliveries reached), then drops
        the message. Without this the build or task would stay active forever."""
        prefix = f"penumbra.work.{kind}."

        async def handle(msg):
            try:
                advisory = json.loads(msg.data)
                stored = await self.js.get_msg(WORK_STREAM, advisory["stream_seq"])
            except Exception:   # already handled and deleted, or not ours to read
                return
            if not stored.subject.startswith(prefix):
                return
            try:
                await asyncio.to_thread(callback, stored.subject[len(prefix):], advisory.get("deliveries", 0))
                await self.js.delete_msg(WORK_STREAM, advisory["stream_seq"])
            except Exception:
                logger.exception("could not settle abandoned work", extra={"fields": {"subject": stored.subject}})

        self.call(self.nc.subscribe(ABANDONED_ADVISORY, cb=handle))

    def close(self) -> None:
        try:
            self.call(self.nc.drain(), timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


def work_subject(kind: str, resource_id: str) -> str:
    """Work-queue subject: penumbra.work.<kind>.<id> (kind: build, task, job)."""
    return f"penumbra.work.{kind}.{resource_id}"
