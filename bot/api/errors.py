"""The one shape every refusal of the admin API takes, so a case system needs one parser.

`{"error": {"code": ..., "message": ..., "field": ...}}`: `code` is stable and meant for
programs, `message` for the person reading the case system's log, `field` names the
request field (or header, or query parameter) at fault, or is null.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web


class ApiError(Exception):
    """A refusal the caller can act on. Raised before anything is written, or inside the
    transaction, whose rollback then undoes whatever was written."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, self.field, self.headers)


def bad_request(code: str, message: str, field: str | None) -> ApiError:
    return ApiError(400, code, message, field)


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "field": field}},
                             status=status, headers=headers)
