"""The one aiohttp web server: platform webhooks, `/healthz`, later the admin API.

Channels add their routes before the server starts (aiohttp freezes the router then)
and a health check each; `/healthz` answers 503 while any check fails, so a dead Zalo
refresh token or a rejected Telegram token shows up in monitoring, not just in a log.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from aiohttp import web

from bot.config import StartupError, WebConfig

HealthCheck = Callable[[], tuple[bool, str]]
MAX_BODY = 1024 * 1024  # webhook bodies are small; anything bigger is refused with 413


class WebServer:
    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_get("/healthz", self.healthz)
        self._checks: dict[str, HealthCheck] = {}
        self._runner: web.AppRunner | None = None
        self.port = config.port

    def add_health(self, name: str, check: HealthCheck) -> None:
        self._checks[name] = check

    async def healthz(self, request: web.Request) -> web.Response:
        report = {}
        healthy = True
        for name, check in self._checks.items():
            ok, problem = check()
            healthy = healthy and ok
            report[name] = {"ok": ok, "problem": problem} if problem else {"ok": ok}
        return web.json_response({"ok": healthy, "channels": report},
                                 status=200 if healthy else 503)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        try:
            await site.start()
        except OSError as error:
            raise StartupError(self._bind_problem(error)) from error
        addresses = self._runner.addresses
        if addresses:  # the real port, when the configuration asked for any free one (0)
            self.port = int(addresses[0][1])

    def _bind_problem(self, error: OSError) -> str:
        """One line for the operator: most often another crewbot (or anything) has the port."""
        where = f"cannot listen on {self.config.host}:{self.config.port}"
        if error.errno == errno.EADDRINUSE:
            return (f"{where}: the port is already in use (another crewbot running?); "
                    "stop it or choose another [web] port")
        if error.errno == errno.EACCES:
            return f"{where}: permission denied (ports below 1024 need privileges)"
        if error.errno == errno.EADDRNOTAVAIL:
            return f"{where}: no such address on this machine; check [web] host"
        return f"{where}: {error.strerror or error}"

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
