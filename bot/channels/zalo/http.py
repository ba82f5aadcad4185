"""The one aiohttp session a Zalo client talks through: its own, or one passed in."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import aiohttp

from bot.channels.zalo.errors import ZaloServerError


class SessionClient:
    """A session created on first use and closed by `close`, or borrowed and left open."""

    def __init__(self, session: aiohttp.ClientSession | None,
                 timeout: aiohttp.ClientTimeout) -> None:
        self._session = session
        self._owns_session = session is None
        self._timeout = timeout

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or (self._owns_session and self._session.closed):
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._owns_session = True
        return self._session

    async def _fetch(self, name: str, method: str, url: str,
                     http_timeout: aiohttp.ClientTimeout | None = None, **request: Any
                     ) -> tuple[int, bytes]:
        """The status and raw body of one request; no answer is a retryable server error.

        `from None`: the chained exception's text can carry the URL, and with it a token.
        """
        session = self._get_session()
        try:
            async with session.request(method, url, timeout=http_timeout or self._timeout,
                                       **request) as response:
                return response.status, await response.read()
        except TimeoutError:
            raise ZaloServerError(0, f"{name}: no answer from Zalo in time") from None
        except aiohttp.ClientError as exc:
            raise ZaloServerError(0, f"{name}: network error ({type(exc).__name__})") from None
