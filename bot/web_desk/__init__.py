"""The staff web desk (`/desk/`): the escalation queue and threads in a browser.

Served by the bot's own aiohttp application, only when `[desk] secret_key` is set (an
empty key leaves `/desk/` a 404 rather than a desk with a guessable cookie key). It is
another adapter over the same escalations as the Telegram desk: a reply, a claim and a
close call the very `Escalations` methods the Telegram handlers call, so the crew gets
a web answer once, through the outbox, and the Telegram topic shows it too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("crewbot.web_desk")

PREFIX = "/desk"


def mount(server: WebServer, app: App) -> bool:
    """Add the desk to the server, unless `[desk] secret_key` is empty."""
    if not app.config.desk.secret_key:
        return False
    from bot.web_desk.routes import WebDesk

    server.app.add_subapp(PREFIX, WebDesk(app).web_app())
    log.info("web desk mounted prefix=%s", PREFIX)
    return True
