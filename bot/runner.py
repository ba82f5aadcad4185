"""`crewbot run`: the configured channels, the web server and the outbox, until a signal.

Start order matters: routes are added before the web server starts (aiohttp freezes
them), the server listens before a channel registers a webhook pointing at it, and the
outbox sweeps once at start so that what a stopped process left queued goes out.

Stop order matters too, and it is bounded: on SIGTERM or SIGINT the channels stop
taking updates (the batch in hand is finished), the sends in flight finish and their
outcome is recorded, the worker says it is gone, the database closes; all within
`[bot] shutdown_seconds`. Past that the rest is cancelled and the process exits anyway:
what it held is recovered by the next start at once (its claims name a stopped worker).
A watchdog thread makes sure of the exit even if something blocks the event loop or a
database driver's thread never ends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import jobs
from bot.api import mount as mount_admin_api
from bot.app import App
from bot.config import Config
from bot.web import WebServer
from bot.web_desk import mount as mount_web_desk

log = logging.getLogger("crewbot.runner")
# What the watchdog allows beyond `shutdown_seconds` before it ends the process itself.
WATCHDOG_GRACE_SECONDS = 5.0
# Closing the database's connections, once everything else is done or given up.
CLOSE_SECONDS = 3.0


class Channel(Protocol):
    def add_routes(self, server: WebServer) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass
class Running:
    """What a test (or an embedding program) may look at while the bot runs."""

    app: App
    web: WebServer
    channels: dict[str, Channel] = field(default_factory=dict)


def build_channels(app: App, config: Config) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if config.telegram_enabled:
        from bot.channels.telegram import TelegramChannel

        channels["telegram"] = TelegramChannel(app, config)
    if config.zalo_enabled:
        from bot.channels.zalo.channel import build_channel

        channels["zalo"] = build_channel(app, config)
    return channels


async def serve(config: Config, stop: asyncio.Event | None = None,
                on_ready: Callable[[Running], None] | None = None,
                handle_signals: bool = False) -> int:
    stop = stop or asyncio.Event()
    if handle_signals:
        _on_signals(stop, config.bot.shutdown_seconds)
    app = await App.create(config)
    await app.outbox.register_worker()  # before any claim is taken in its name
    server = WebServer(config.web)
    channels = build_channels(app, config)
    if not channels:
        await app.close()
        log.error("no channel to run")
        return 1
    started: list[Channel] = []
    sweeper: asyncio.Task[None] | None = None
    scheduler: AsyncIOScheduler | None = None
    try:
        for channel in channels.values():
            channel.add_routes(server)
        mount_admin_api(server, app)
        mount_web_desk(server, app)
        await server.start()
        for name, channel in channels.items():
            try:
                await channel.start()
            except Exception as error:
                log.error("channel failed to start channel=%s error=%s", name,
                          _without_secrets(f"{type(error).__name__}: {error}", config))
                return 1
            started.append(channel)
        server.add_health("database", app.outage.health)
        sweeper = asyncio.create_task(app.outbox.run(stop), name="outbox")
        scheduler = jobs.start(app)
        log.info("crewbot running channels=%s web=%s", ",".join(channels), server.base_url)
        if on_ready is not None:
            on_ready(Running(app, server, channels))
        await stop.wait()
        return 0
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await _shut_down(app, server, started, sweeper, config.bot.shutdown_seconds)


async def _shut_down(app: App, server: WebServer, channels: list[Channel],
                     sweeper: asyncio.Task[None] | None, limit: float) -> bool:
    """Stop in order within `limit` seconds; False when something had to be cut short."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    clean = True

    async def step(what: str, work: Awaitable[object]) -> None:
        nonlocal clean
        try:
            await asyncio.wait_for(work, max(deadline - loop.time(), 0.05))
        except TimeoutError:
            clean = False
            log.warning("shutdown cut short step=%s limit=%.0fs", what, limit)
        except Exception as error:
            clean = False
            log.warning("shutdown step failed step=%s error=%s", what,
                        f"{type(error).__name__}: {error}"[:200])

    started = loop.time()
    # No new updates: polling stops after the batch in hand, webhooks are refused.
    await step("channels", asyncio.gather(server.stop(),
                                          *(channel.stop() for channel in reversed(channels))))
    if sweeper is not None:
        await step("outbox", sweeper)
    await step("sends in flight", app.settled())
    await step("worker", app.outbox.retire())
    try:
        await asyncio.wait_for(app.db.close(), CLOSE_SECONDS)
    except Exception as error:  # a driver that cannot close: the process ends all the same
        clean = False
        log.warning("database close failed error=%s", type(error).__name__)
    log.info("stopped clean=%s seconds=%.1f", clean, loop.time() - started)
    return clean


def _without_secrets(text: str, config: Config) -> str:
    """One line, with every configured secret masked: python-telegram-bot, for one, puts
    the rejected token into its error message."""
    secrets = (config.telegram.token, config.telegram.webhook_secret, config.zalo.app_secret,
               config.zalo.oa_secret_key, config.zalo.bot_token, config.zalo.refresh_token)
    line = text.splitlines()[0] if text else ""
    for secret in secrets:
        if secret:
            line = line.replace(secret, "***")
    return line[:300]


def _on_signals(stop: asyncio.Event, limit: float) -> None:
    """First signal: stop in order, with a watchdog. A second one: exit at once."""
    loop = asyncio.get_running_loop()

    def handle(signum: int) -> None:
        if stop.is_set():
            log.warning("second signal; exiting now signal=%s", signal.Signals(signum).name)
            _hard_exit(1)
        log.info("stopping signal=%s limit=%.0fs", signal.Signals(signum).name, limit)
        stop.set()
        watchdog = threading.Timer(limit + WATCHDOG_GRACE_SECONDS, _hard_exit, args=(1,))
        watchdog.daemon = True
        watchdog.start()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, handle, signum)


def _hard_exit(code: int) -> None:
    log.error("shutdown did not finish; exiting anyway")
    logging.shutdown()
    os._exit(code)


async def run(config: Config) -> int:
    return await serve(config, handle_signals=True)
