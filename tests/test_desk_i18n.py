"""The web desk's catalog (domain `desk`): its template matches the templates, the
Vietnamese translation is complete and keeps every placeholder, and a staff member who
chooses Tiếng Việt gets the pages in Vietnamese."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import Config
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import running
from tests.test_i18n import LOCALES, _read, extracted
from tests.test_web_desk import CSRF, HTML, add_account, desk_config, sign_in

PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def test_desk_template_matches_the_templates(tmp_path: Path) -> None:
    in_templates = extracted(tmp_path, "babel-desk.cfg")
    assert len(in_templates) > 20
    assert in_templates == {m.id for m in _read(LOCALES / "desk.pot") if m.id}, (
        "run pybabel extract -F babel-desk.cfg (README) and update locales/vi desk.po")


def test_vietnamese_desk_catalog_is_complete() -> None:
    catalog = _read(LOCALES / "vi" / "LC_MESSAGES" / "desk.po", "vi")
    for message in _read(LOCALES / "desk.pot"):
        if not message.id:
            continue
        translated = catalog.get(message.id)
        assert translated is not None, f"vi: missing {message.id!r}"
        assert not translated.fuzzy, f"vi: fuzzy {message.id!r}"
        assert translated.string and translated.string.strip(), f"vi: empty {message.id!r}"
        assert (sorted(PLACEHOLDER.findall(translated.string))
                == sorted(PLACEHOLDER.findall(message.id))), f"vi: placeholders {message.id!r}"
        # A lone % would break newstyle gettext's formatting at render time.
        assert "%" not in PLACEHOLDER.sub("", translated.string).replace("%%", "")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_the_language_switch_gives_vietnamese_pages(config: Config,
                                                          fake: FakeTelegram) -> None:
    async with (running(desk_config(config, fake)) as bot,
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http):
        base = bot.web.base_url
        await add_account(bot)
        async with http.get(f"{base}/desk/login", headers=HTML) as login:
            page = await login.text()
        assert "Sign in" in page
        token = CSRF.search(page)
        assert token
        async with http.post(f"{base}/desk/language", data={
                "lang": "vi", "next": "/desk/login", "csrf_token": token.group(1)}) as switched:
            assert "Đăng nhập" in await switched.text()
        assert await sign_in(http, base) == 303
        async with http.get(f"{base}/desk/", headers=HTML) as queue:
            text = await queue.text()
        assert "Yêu cầu hỗ trợ đang mở" in text and "Đăng xuất" in text
