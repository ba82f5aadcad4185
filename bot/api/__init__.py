"""The admin API (`/api/v1/`) through which the department's case system creates
applications and moves them; described in `docs/openapi.yaml`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.api.routes import PREFIX, AdminApi

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("crewbot.api")

__all__ = ["PREFIX", "AdminApi", "mount"]


def mount(server: WebServer, app: App) -> bool:
    """Add the API to the server, unless `[admin_api] token` is empty: an API without a
    token is not served at all (its paths are 404), rather than served open."""
    if not app.config.admin_api.token:
        return False
    server.app.add_subapp(PREFIX, AdminApi(app).web_app())
    log.info("admin api mounted prefix=%s", PREFIX)
    return True
