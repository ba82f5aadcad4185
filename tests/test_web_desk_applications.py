"""The web desk's applications pages over HTTP: list, search and filter; a status change
made on the page reaches every linked chat on the fake Telegram once and is audited;
a bad CSRF token and missing details change nothing; only coordinators and admins
create, and the access code is shown once; staff see how many chats follow, not who.
"""

from __future__ import annotations

import re
from datetime import date

import aiohttp
from sqlalchemy import func, select

from bot.config import Config
from bot.runner import Running
from bot.services.applications import NewApplication
from bot.storage.models import ApplicationEvent, StaffAudit
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import running
from tests.test_telegram import answered
from tests.test_web_desk import (
    HTML,
    add_account,
    client,
    csrf,
    desk_config,
    fake,  # noqa: F401  (the fixture)
    sign_in,
)

ADMIN = "an@cuc.gov.vn"
CODE = re.compile(r'id="access-code">([^<]+)<')
FORM = {"production_title": "Rice and Rain", "company": "Lumière Films SAS",
        "country": "FR", "service_company": "Hanoi Fixers Co.",
        "shoot_start": "2027-03-01", "shoot_end": "2027-03-20",
        "locations": "Ha Long Bay\nHoi An", "contact_email": "prod@example.com"}


async def make(bot: Running, title: str) -> tuple[str, str]:
    async with bot.app.db.session() as session:
        application, code = await bot.app.applications.create(session, NewApplication(
            production_title=title, company="Studio", country="KR",
            service_company="Saigon Fixers", shoot_start=date(2027, 1, 5),
            shoot_end=date(2027, 1, 9), locations=["Hue"],
            contact_email="crew@example.com"), "test")
        return application.reference, code


async def page(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url, headers=HTML, allow_redirects=False) as response:
        return response.status, await response.text()


async def events(bot: Running) -> int:
    async with bot.app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ApplicationEvent))
                   or 0)


async def told_once(bot: Running, telegram: FakeTelegram, crews: tuple[int, ...], note: str
                    ) -> None:
    """Each linked chat (told once before, when it linked) gets the change's notice once."""
    for chat in crews:
        await answered(telegram, chat, 2)
    await bot.app.settled()
    for chat in crews:
        told = [m["plain_text"] or "" for m in telegram.sent(chat)]
        assert sum(note in text for text in told) == 1


async def audits(bot: Running) -> list[tuple[str, str]]:
    async with bot.app.db.session() as session:
        return [(row.action, row.target) for row in (await session.scalars(
            select(StaffAudit).order_by(StaffAudit.id))).all()]


async def test_list_search_and_filter(config: Config, fake: FakeTelegram) -> None:  # noqa: F811
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        rain, _ = await make(bot, "Rice and Rain")
        moon, _ = await make(bot, "Moon over Hue")
        async with bot.app.db.session() as session:
            from bot.services.applications import StatusChange
            await bot.app.applications.change(session, moon, StatusChange("under_review"))
        assert await sign_in(http, base) == 303
        status, listed = await page(http, f"{base}/desk/applications")
        assert status == 200 and rain in listed and moon in listed
        _, found = await page(http, f"{base}/desk/applications?q=rice")
        assert rain in found and moon not in found
        _, found = await page(http, f"{base}/desk/applications?q={moon[-4:]}")
        assert moon in found and rain not in found
        _, found = await page(http, f"{base}/desk/applications?status=under_review")
        assert moon in found and rain not in found
        _, found = await page(http, f"{base}/desk/applications?q=nothing+like+it")
        assert rain not in found and moon not in found and "No applications." in found
        # Staff may not create: no link, and the form and the post are 403.
        assert "/desk/applications/new" not in listed
        assert (await page(http, f"{base}/desk/applications/new"))[0] == 403


async def test_admin_creates_sees_the_code_once_and_a_change_reaches_each_chat_once(
        config: Config, fake: FakeTelegram) -> None:  # noqa: F811
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot, ADMIN, "admin")
        assert await sign_in(http, base, ADMIN) == 303
        token = await csrf(http, f"{base}/desk/applications/new")
        async with http.post(f"{base}/desk/applications", data={**FORM, "csrf_token": token},
                             allow_redirects=False) as created:
            assert created.status == 303
            where = created.headers["Location"]
        status, shown = await page(http, f"{base}{where}")
        found = CODE.search(shown)
        assert status == 200 and found and 'src="data:image/svg+xml' in shown
        code = found.group(1)
        reference = where.rsplit("/", 1)[1]
        again = (await page(http, f"{base}{where}"))[1]
        assert code not in again and "access-code" not in again  # shown once

        crews = (4101, 4102)
        for chat in crews:
            fake.message(chat, f"/track {reference} {code}", language_code="en")
            await answered(fake, chat, 1)
        _, shown = await page(http, f"{base}{where}")
        assert 'id="followers">2<' in shown
        token = await csrf(http, f"{base}{where}")
        async with http.post(f"{base}{where}/status", data={
                "status": "under_review", "note": "Dossier complet, merci",
                "csrf_token": token}, allow_redirects=False) as moved:
            assert moved.status == 303
        await told_once(bot, fake, crews, "Dossier complet, merci")
        _, shown = await page(http, f"{base}{where}")
        assert "Under review" in shown and "an@cuc.gov.vn (web desk)" in shown
        assert await audits(bot) == [("sign_in", ""),
                                     ("create_application", f"application:{reference}"),
                                     ("status:under_review", f"application:{reference}")]


async def test_bad_csrf_and_missing_details_change_nothing(
        config: Config, fake: FakeTelegram) -> None:  # noqa: F811
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot)
        reference, code = await make(bot, "Rice and Rain")
        fake.message(4201, f"/track {reference} {code}", language_code="en")
        await answered(fake, 4201, 1)
        assert await sign_in(http, base) == 303
        url = f"{base}/desk/applications/{reference}"
        for token in ("", "forged"):
            async with http.post(f"{url}/status", data={
                    "status": "under_review", "csrf_token": token}) as refused:
                assert refused.status == 403
        async with http.post(f"{base}/desk/applications", data={
                **FORM, "csrf_token": "forged"}) as refused:
            assert refused.status == 403
        assert await events(bot) == 1
        token = await csrf(http, url)
        async with http.post(f"{url}/status", data={"status": "approved",
                                                    "csrf_token": token}) as refused:
            assert refused.status == 409 and "allowed moves are: under_review" in (
                await refused.text())
        async with http.post(f"{url}/status", data={
                "status": "under_review", "csrf_token": token},
                allow_redirects=False) as moved:
            assert moved.status == 303
        await answered(fake, 4201, 2)
        before = await events(bot)
        for data, reason in (
                ({"status": "info_requested", "due": "2027-02-01"},
                 "list the items requested"),
                ({"status": "info_requested", "requested": "Script\nCrew list"},
                 "give the date the requested items are due"),
                ({"status": "approved", "valid_until": "2027-03-31"},
                 "give the permit number"),
                ({"status": "approved", "permit_number": "GP-123/CĐA"},
                 "give the permit's last valid day"),
                ({"status": "approved", "permit_number": "GP-1", "valid_until": "2020-01-01"},
                 "before its first")):
            async with http.post(f"{url}/status", data={**data, "csrf_token": token}) as page_:
                text = await page_.text()
                problem = re.search(r'id="problem">([^<]*)<', text)
                assert page_.status in (400, 409) and problem and reason in problem.group(1), (
                    data, problem)
        await bot.app.settled()
        assert await events(bot) == before
        assert len(fake.sent(4201)) == 2
        assert [action for action, _ in await audits(bot)] == ["sign_in",
                                                               "status:under_review"]


async def test_staff_see_counts_admins_see_names_and_only_they_create(
        config: Config, fake: FakeTelegram) -> None:  # noqa: F811
    async with running(desk_config(config, fake)) as bot, client() as staff, \
            client() as admin:
        base = bot.web.base_url
        await add_account(bot)
        await add_account(bot, ADMIN, "admin")
        reference, code = await make(bot, "Rice and Rain")
        fake.message(4301, f"/track {reference} {code}", language_code="en",
                     first_name="Minji")
        await answered(fake, 4301, 1)
        assert await sign_in(staff, base) == 303
        assert await sign_in(admin, base, ADMIN) == 303
        url = f"{base}/desk/applications/{reference}"
        _, seen = await page(staff, url)
        assert 'id="followers">1<' in seen and "Minji" not in seen and "4301" not in seen
        _, seen = await page(admin, url)
        assert 'id="followers">1<' in seen and "Minji" in seen and "telegram" in seen
        token = await csrf(staff, url)
        async with staff.post(f"{base}/desk/applications",
                              data={**FORM, "csrf_token": token}) as refused:
            assert refused.status == 403
        async with bot.app.db.session() as session:
            assert len(await bot.app.applications.find(session)) == 1


async def test_vietnamese_pages_and_a_refused_creation(config: Config,
                                                       fake: FakeTelegram) -> None:  # noqa: F811
    async with running(desk_config(config, fake)) as bot, client() as http:
        base = bot.web.base_url
        await add_account(bot, ADMIN, "coordinator")
        reference, _ = await make(bot, "Rice and Rain")
        assert await sign_in(http, base, ADMIN) == 303
        url = f"{base}/desk/applications/{reference}"
        token = await csrf(http, url)
        async with http.post(f"{base}/desk/language", data={
                "lang": "vi", "next": "/desk/applications", "csrf_token": token}) as listed:
            assert "Đã nộp" in await listed.text()
        async with http.post(f"{url}/status", data={"status": "approved",
                                                    "csrf_token": token}) as refused:
            shown = await refused.text()
            assert refused.status == 409
            assert "Chưa thay đổi: từ submitted chỉ được chuyển sang: under_review" in shown
        async with http.post(f"{base}/desk/applications", data={
                **FORM, "country": "France", "csrf_token": token}) as refused:
            shown = await refused.text()
            assert refused.status == 400 and "Quốc gia (hai chữ cái)" in shown
        async with bot.app.db.session() as session:
            assert len(await bot.app.applications.find(session)) == 1
        assert [action for action, _ in await audits(bot)] == ["sign_in"]
