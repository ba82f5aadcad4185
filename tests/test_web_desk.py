"""The web desk's doors, over HTTP without a browser: no session, a bad CSRF token, a
disabled account and too many wrong passwords are refused and change nothing; a
password reaches neither the database nor the logs; a web reply reaches the crew once.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select, text

from bot.config import Config, DeskConfig
from bot.runner import Running
from bot.services import staff_accounts
from bot.storage.models import EscalationMessage, StaffAudit
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import running
from tests.test_escalations_e2e import DESK, with_desk
from tests.test_telegram import answered, telegram_config

PASSWORD = "lotus pond 2026 secret"
KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTML = {"Accept": "text/html"}


def desk_config(config: Config, fake: FakeTelegram) -> Config:
    return replace(with_desk(telegram_config(config, fake)),
                   desk=DeskConfig(secret_key=KEY, secure_cookie=False, poll_seconds=0.05))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def add_account(bot: Running, email: str = "lan@cuc.gov.vn",
                      role: str = "staff") -> None:
    async with bot.app.db.session() as session:
        await staff_accounts.add(session, email, role, PASSWORD)


async def csrf(client: aiohttp.ClientSession, url: str) -> str:
    async with client.get(url, headers=HTML) as response:
        found = CSRF.search(await response.text())
    assert found
    return found.group(1)


async def sign_in(client: aiohttp.ClientSession, base: str, email: str = "lan@cuc.gov.vn",
                  password: str = PASSWORD) -> int:
    token = await csrf(client, f"{base}/desk/login")
    async with client.post(f"{base}/desk/login", data={
            "email": email, "password": password, "csrf_token": token},
            allow_redirects=False) as response:
        return response.status


async def open_escalation(bot: Running, fake: FakeTelegram, crew: int) -> int:
    fake.message(crew, "/staff 부산 촬영 허가는 어떻게 받나요?", language_code="ko")
    await answered(fake, crew, 1)
    async with bot.app.db.session() as session:
        found = await session.scalar(select(func.max(EscalationMessage.escalation_id)))
    assert found is not None
    return int(found)


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_without_a_session_pages_redirect_and_the_rest_is_401(
        config: Config, fake: FakeTelegram) -> None:
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        async with http.get(f"{base}/desk/", headers=HTML, allow_redirects=False) as page:
            assert page.status == 302 and page.headers["Location"] == "/desk/login"
        async with http.get(f"{base}/desk/events") as stream:
            assert stream.status == 401
        async with http.get(f"{base}/desk/queue",
                            headers={"Accept": "application/json"}) as fragment:
            assert fragment.status == 401
        async with http.get(f"{base}/desk/login", headers=HTML) as login:
            cookie = login.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            assert 'name="email"' in await login.text()


async def test_a_desk_without_a_key_is_not_served(config: Config, fake: FakeTelegram
                                                  ) -> None:
    async with (running(with_desk(telegram_config(config, fake))) as bot, client() as http,
                http.get(f"{bot.web.base_url}/desk/", headers=HTML) as page):
        assert page.status == 404


async def test_a_bad_csrf_token_is_403_and_changes_nothing(config: Config,
                                                           fake: FakeTelegram) -> None:
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        escalation = await open_escalation(bot, fake, 5101)
        # Sign-in itself needs the form's token.
        async with http.post(f"{base}/desk/login", data={
                "email": "lan@cuc.gov.vn", "password": PASSWORD}) as refused:
            assert refused.status == 403
        assert await sign_in(http, base) == 303
        async with bot.app.db.session() as session:
            before = await session.scalar(select(func.count()).select_from(EscalationMessage))
        for token in ("", "forged", "x" * 43):
            for action in ("reply", "claim", "close", "transfer", "article", "canned"):
                async with http.post(f"{base}/desk/escalations/{escalation}/{action}", data={
                        "text": "hello", "csrf_token": token}) as response:
                    assert response.status == 403
        await bot.app.settled()
        async with bot.app.db.session() as session:
            after = await session.scalar(select(func.count()).select_from(EscalationMessage))
            audits = (await session.scalars(select(StaffAudit.action))).all()
        assert after == before and audits == ["sign_in"]
        assert not any("hello" in (m["plain_text"] or "") for m in fake.sent(5101))


async def test_reply_claim_close_from_the_web(config: Config, fake: FakeTelegram) -> None:
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        crew = 5102
        escalation = await open_escalation(bot, fake, crew)
        assert await sign_in(http, base) == 303
        async with http.get(f"{base}/desk/", headers=HTML) as queue:
            assert f"/desk/escalations/{escalation}" in await queue.text()
        token = await csrf(http, f"{base}/desk/escalations/{escalation}")
        for action, data in (("claim", {}), ("reply", {"text": "Bạn cần giấy phép quay phim."}),
                             ("close", {})):
            async with http.post(f"{base}/desk/escalations/{escalation}/{action}",
                                 data={**data, "csrf_token": token},
                                 allow_redirects=False) as response:
                assert response.status == 303
        await fake.wait_for(lambda f: any("1 = " in (m["plain_text"] or "")
                                          for m in f.sent(crew)))
        await bot.app.settled()
        to_crew = [m["plain_text"] or "" for m in fake.sent(crew)]
        assert sum("giấy phép quay phim" in t for t in to_crew) == 1
        # The Telegram topic shows the web answer too (the desk group is paced: wait).
        await fake.wait_for(lambda f: any("lan@cuc.gov.vn (web desk): Bạn cần giấy phép"
                                          in (m["plain_text"] or "") for m in f.sent(DESK)))
        async with bot.app.db.session() as session:
            audits = (await session.scalars(select(StaffAudit.action)
                                            .order_by(StaffAudit.id))).all()
        assert audits == ["sign_in", "claim", "reply", "close"]


async def test_five_failures_make_the_account_wait(config: Config, fake: FakeTelegram
                                                   ) -> None:
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        for _ in range(4):
            assert await sign_in(http, base, password="wrong password!") == 401
        assert await sign_in(http, base, password="wrong password!") == 429
        assert await sign_in(http, base) == 429  # the right one waits too
        async with bot.app.db.session() as session:
            account = await staff_accounts.by_email(session, "lan@cuc.gov.vn")
            assert account is not None and account.locked_until is not None
        assert await sign_in(http, base, email="nobody@cuc.gov.vn") == 401


async def test_the_password_is_in_neither_database_nor_logs(
        config: Config, fake: FakeTelegram, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(desk_config(config, fake)) as bot, client() as http:
        await add_account(bot)
        assert await sign_in(http, bot.web.base_url) == 303
        assert await sign_in(http, bot.web.base_url, password=PASSWORD + "x") == 401
        async with bot.app.db.session() as session:
            stored = (await session.execute(text(
                "SELECT email, password_hash FROM staff_accounts"))).all()
            audit = (await session.execute(text("SELECT * FROM staff_audit"))).all()
    assert stored[0][1].startswith("$argon2")
    assert PASSWORD not in repr(stored) + repr(audit)
    assert PASSWORD not in caplog.text
    assert not [path for path in await asyncio.to_thread(lambda: list(tmp_path.rglob("*.db*")))
                if PASSWORD.encode() in path.read_bytes()]


async def test_a_session_ends_after_session_minutes_without_a_request(
        config: Config, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's clock moved past `[desk] session_minutes` of idleness: the session
    is emptied (the cookie alone, which a client may keep, does not keep it alive)."""
    from datetime import timedelta

    from bot.web_desk import routes

    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        assert await sign_in(http, base) == 303
        real = routes.utcnow
        idle = timedelta(minutes=bot.app.config.desk.session_minutes)
        monkeypatch.setattr(routes, "utcnow", lambda: real() + idle - timedelta(seconds=30))
        async with http.get(f"{base}/desk/", headers=HTML, allow_redirects=False) as page:
            assert page.status == 200  # within the limit, and the request counts as seen
        monkeypatch.setattr(routes, "utcnow", lambda: real() + 2 * idle)
        async with http.get(f"{base}/desk/", headers=HTML, allow_redirects=False) as page:
            assert page.status == 302 and page.headers["Location"] == "/desk/login"
        monkeypatch.setattr(routes, "utcnow", real)
        async with http.get(f"{base}/desk/", headers=HTML, allow_redirects=False) as page:
            assert page.status == 302  # emptied, not merely stale


async def test_article_canned_reply_and_transfer_from_the_web(config: Config,
                                                              fake: FakeTelegram) -> None:
    """As the Telegram desk's /article, /reply and /transfer: the article and the canned
    reply reach the Korean crew once, in Korean; an unknown one sends nothing; a transfer
    goes only to an enabled colleague's account."""
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        await add_account(bot, "minh@cuc.gov.vn")
        await add_account(bot, "gone@cuc.gov.vn")
        async with bot.app.db.session() as session:
            await staff_accounts.disable(session, "gone@cuc.gov.vn")
        crew = 5104
        escalation = await open_escalation(bot, fake, crew)
        assert await sign_in(http, base) == 303
        here = f"{base}/desk/escalations/{escalation}"
        async with http.get(here, headers=HTML) as page:
            shown = await page.text()
        assert 'value="permit.drone"' in shown and 'value="checking"' in shown
        assert "minh@cuc.gov.vn" in shown and "gone@cuc.gov.vn" not in shown
        token = await csrf(http, here)

        async def post(action: str, **data: str) -> str:
            async with http.post(f"{here}/{action}", data={**data, "csrf_token": token},
                                 allow_redirects=False) as response:
                assert response.status == 303
                return response.headers["Location"]

        assert (await post("article", article="permit.drone")).endswith("notice=sent")
        assert (await post("canned", name="checking")).endswith("notice=sent")
        assert (await post("article", article="no.such.article")).endswith("notice=unknown")
        assert (await post("canned", name="nope")).endswith("notice=unknown")
        assert (await post("transfer", to="gone@cuc.gov.vn")).endswith(
            "notice=not-transferred")
        assert (await post("transfer", to="minh@cuc.gov.vn")).endswith("notice=transferred")

        drone = bot.app.knowledge.by_id["permit.drone"]
        await fake.wait_for(lambda f: any("관련 기관에 확인 중" in (m["plain_text"] or "")
                                          for m in f.sent(crew)))
        await bot.app.settled()
        to_crew = [m["plain_text"] or "" for m in fake.sent(crew)]
        assert sum(drone.title["ko"] in text for text in to_crew) == 1
        assert sum("관련 기관에 확인 중" in text for text in to_crew) == 1
        async with bot.app.db.session() as session:
            claimed = await session.scalar(text(
                f"SELECT claimed_by FROM escalations WHERE id = {escalation}"))
            audits = (await session.scalars(select(StaffAudit.action)
                                            .order_by(StaffAudit.id))).all()
        assert claimed == "minh@cuc.gov.vn"
        assert audits == ["sign_in", "send_article", "send_reply", "transfer"]
        async with http.get(f"{base}/desk/", headers=HTML) as queue:
            assert "minh@cuc.gov.vn" in await queue.text()
        await fake.wait_for(lambda f: any("Transferred to minh@cuc.gov.vn"
                                          in (m["plain_text"] or "") for m in f.sent(DESK)))


async def desk_status(http: aiohttp.ClientSession, base: str) -> int:
    async with http.get(f"{base}/desk/", headers=HTML, allow_redirects=False) as page:
        return page.status


@pytest.mark.parametrize("change", ["disable", "password"])
async def test_disabling_or_a_new_password_ends_the_open_session_at_once(
        config: Config, fake: FakeTelegram, change: str) -> None:
    """The next request of an open session (a page, the live stream) is refused; a
    disabled account cannot sign in again, a changed password only with the new one."""
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        assert await sign_in(http, base) == 303
        assert await desk_status(http, base) == 200
        async with bot.app.db.session() as session:
            if change == "disable":
                await staff_accounts.disable(session, "lan@cuc.gov.vn")
            else:
                await staff_accounts.set_password(session, "lan@cuc.gov.vn",
                                                  "a new lotus 2027")
        assert await desk_status(http, base) == 302
        async with http.get(f"{base}/desk/events") as stream:
            assert stream.status == 401
        if change == "disable":
            assert await sign_in(http, base) == 403
        else:
            assert await sign_in(http, base) == 401
            assert await sign_in(http, base, password="a new lotus 2027") == 303
            assert await desk_status(http, base) == 200
async def test_the_telegram_desk_and_the_web_desk_work_one_escalation_at_once(
        config: Config, fake: FakeTelegram) -> None:
    """A staff reply in the Telegram topic shows in the web thread and a web reply in the
    topic; the crew gets each once, and a crew message shows in both."""
    from tests.test_escalations_e2e import STAFF, desk_texts, in_topic

    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        crew = 5105
        escalation = await open_escalation(bot, fake, crew)
        await fake.wait_for(lambda f: bool(f.topics(DESK)))
        (topic,) = fake.topics(DESK)
        thread = topic["message_thread_id"]
        assert await sign_in(http, base) == 303
        here = f"{base}/desk/escalations/{escalation}"

        in_topic(fake, thread, "Xin chào từ Telegram, chúng tôi đang xem.", STAFF)
        await answered(fake, crew, 2)
        token = await csrf(http, here)
        async with http.post(f"{here}/reply", data={
                "text": "Chào từ trang web, cần giấy phép quay phim.", "csrf_token": token},
                allow_redirects=False) as response:
            assert response.status == 303
        fake.message(crew, "감사합니다, 서류를 준비하겠습니다.", language_code="ko")
        await fake.wait_for(lambda f: any("서류를 준비" in t for t in desk_texts(f, thread))
                            and any("trang web" in t for t in desk_texts(f, thread)))
        async with http.get(f"{here}/messages", headers=HTML) as fragment:
            shown = await fragment.text()
        assert all(part in shown for part in ("Xin chào từ Telegram", "Chào từ trang web",
                                              "서류를 준비하겠습니다"))
        await bot.app.settled()
        to_crew = [m["plain_text"] or "" for m in fake.sent(crew)]
        assert sum("Xin chào từ Telegram" in t for t in to_crew) == 1
        assert sum("Chào từ trang web" in t for t in to_crew) == 1
