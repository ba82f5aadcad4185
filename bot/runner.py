"""`crewbot run`: the configured channels, the web server and the outbox, until a signal.

Start order matters: routes are added before the web server starts (aiohttp freezes
them), the server listens before a channel registers a webhook pointing at it, and the
outbox sweeps once at start so that what a stopped process left queued goes out.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.app import App
from bot.config import Config
from bot.web import WebServer

log = logging.getLogger("crewbot.runner")


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
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    app = await App.create(config)
    server = WebServer(config.web)
    channels = build_channels(app, config)
    if not channels:
        await app.close()
        log.error("no channel to run")
        return 1
    started: list[Channel] = []
    sweeper: asyncio.Task[None] | None = None
    try:
        for channel in channels.values():
            channel.add_routes(server)
        await server.start()
        for name, channel in channels.items():
            try:
                await channel.start()
            except Exception as error:
                log.error("channel failed to start channel=%s error=%s", name, error)
                return 1
            started.append(channel)
        sweeper = asyncio.create_task(app.outbox.run(stop), name="outbox")
        log.info("crewbot running channels=%s web=%s", ",".join(channels), server.base_url)
        if on_ready is not None:
            on_ready(Running(app, server, channels))
        await stop.wait()
        return 0
    finally:
        stop.set()
        if sweeper is not None:
            await sweeper
        for channel in reversed(started):
            try:
                await channel.stop()
            except Exception:
                log.exception("channel stop failed")
        await server.stop()
        await app.close()


async def run(config: Config) -> int:
    return await serve(config, handle_signals=True)
