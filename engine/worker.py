"""The engine worker: pulls work from the JetStream work queue and runs it.

Several workers (on one or many machines) bind the same durable pull consumer,
so JetStream spreads the messages across them; a message is acked when its
work is done, and redelivered to another worker if this one dies mid-way
(in-progress heartbeats keep long work from being redelivered early).
Handlers are registered per subject prefix by the features that use them.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import Awaitable, Callable

from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig

from services.common import config, log, server
from services.common import nats as penumbra_nats

CONSUMER = "engine"
# A worker silent this long is presumed dead and its work redelivered; while a
# job runs the worker signals in-progress at a third of it.
ACK_WAIT_S = float(os.environ.get("PENUMBRA_WORK_ACK_WAIT_S", "30"))
HEARTBEAT_S = ACK_WAIT_S / 3
# Jobs one worker runs at once (the Reference core spreads a job over all cores itself).
CONCURRENCY = int(os.environ.get("PENUMBRA_WORKER_CONCURRENCY", "2"))

# handler(data, headers): headers carry the message's own headers plus
# "Penumbra-Delivery" (1 for a first delivery, more after a worker was lost).
Handler = Callable[[bytes, dict], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}     # subject prefix -> handler

logger = logging.getLogger("engine.worker")


async def _heartbeat(msg, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), HEARTBEAT_S)
        except asyncio.TimeoutError:
            await msg.in_progress()


async def _handle(msg) -> None:
    handler = next((h for prefix, h in HANDLERS.items() if msg.subject.startswith(prefix)), None)
    if handler is None:
        # Nobody here can do this work: say so and drop it rather than loop on it.
        log.event(logger, "no handler for work, terminated", subject=msg.subject)
        await msg.term()
        return
    stop = asyncio.Event()
    beat = asyncio.create_task(_heartbeat(msg, stop))
    headers = dict(msg.headers or {})
    headers["Penumbra-Delivery"] = str(msg.metadata.num_delivered)
    try:
        await handler(msg.data, headers)
        await msg.ack()
    except Exception:
        logger.exception("work failed; it will be redelivered", extra={"fields": {"subject": msg.subject}})
        await msg.nak(delay=1.0)
    finally:
        stop.set()
        await beat


async def pull_loop(settings: config.Settings, stopping: threading.Event) -> None:
    from engine import handlers
    handlers.load_all()
    nc = await penumbra_nats.connect(settings.nats_url, "engine-worker")
    js = nc.jetstream()
    await penumbra_nats.ensure_streams(js)
    # add_consumer updates an existing durable too (ack_wait may change).
    await js.add_consumer(penumbra_nats.WORK_STREAM, ConsumerConfig(
        durable_name=CONSUMER, ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_S,
        max_deliver=penumbra_nats.WORK_MAX_DELIVER, max_ack_pending=64, filter_subject=penumbra_nats.WORK_SUBJECTS))
    sub = await js.pull_subscribe_bind(CONSUMER, stream=penumbra_nats.WORK_STREAM)
    log.event(logger, "worker pulling", stream=penumbra_nats.WORK_STREAM, consumer=CONSUMER,
              concurrency=CONCURRENCY)
    slots = asyncio.Semaphore(CONCURRENCY)
    running: set[asyncio.Task] = set()

    async def handle_in_slot(msg):
        try:
            await _handle(msg)
        finally:
            slots.release()

    while not stopping.is_set():
        await slots.acquire()          # fetch only what we can start now
        try:
            msgs = await sub.fetch(1, timeout=1.0)
        except NatsTimeout:
            slots.release()
            continue
        task = asyncio.create_task(handle_in_slot(msgs[0]))
        running.add(task)
        task.add_done_callback(running.discard)
    await nc.drain()


def _run_pull_loop(settings: config.Settings, stopping: threading.Event) -> None:
    try:
        asyncio.run(pull_loop(settings, stopping))
    except Exception:
        # A worker that cannot pull must not look healthy: exit and be seen.
        logger.exception("pull loop failed; exiting")
        os._exit(1)


def register(_grpc_server, settings: config.Settings):
    stopping = threading.Event()
    thread = threading.Thread(target=_run_pull_loop, args=(settings, stopping),
                              name="pull-loop", daemon=True)
    thread.start()
    register.stop = stopping.set
    return []


def main() -> None:
    server.serve("engine", register, on_stop=lambda: register.stop())


if __name__ == "__main__":
    # Run as `python -m engine.worker`: handler modules' `from engine import worker`
    # must find this module and its HANDLERS, not import a second, unused copy.
    sys.modules["engine.worker"] = sys.modules[__name__]
    main()
