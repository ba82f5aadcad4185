"""The web desk in a real headless browser (Debian's chromium, driven by Playwright):
a staff member signs in through the form, a Korean crew's escalation appears in the
open queue without a reload, the answer typed in the thread reaches the crew's chat on
the fake Telegram exactly once. Screenshots at phone and desktop widths."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import running
from tests.test_telegram import answered
from tests.test_web_desk import PASSWORD, add_account, desk_config

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"no {CHROMIUM} (apt-get install -y chromium)")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_sign_in_see_a_new_escalation_live_and_answer_it(
        config: Config, fake: FakeTelegram, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    crew = 5201
    async with running(desk_config(config, fake)) as bot, async_playwright() as driver:
        await add_account(bot)
        browser = await driver.chromium.launch(executable_path=CHROMIUM,
                                               args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{bot.web.base_url}/desk/")
            assert page.url.endswith("/desk/login")
            await page.fill("input[name=email]", "lan@cuc.gov.vn")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url("**/desk/")
            assert await page.locator("tbody#rows tr").count() == 1  # "no open escalations"
            loads = []
            page.on("load", lambda _page: loads.append(1))

            fake.message(crew, "/staff 부산 해운대에서 드론 촬영 허가가 필요한가요?",
                         language_code="ko")
            await answered(fake, crew, 1)
            row = page.locator("tbody#rows tr", has_text="#1")
            await row.wait_for(timeout=15_000)
            assert loads == []  # it came without a reload
            assert "ko" in await row.inner_text()

            for width, name in ((390, "queue-phone"), (1280, "queue-desktop")):
                await page.set_viewport_size({"width": width, "height": 800})
                await page.screenshot(path=tmp_path / f"{name}.png", full_page=True)

            await row.locator("a").click()
            await page.wait_for_url("**/desk/escalations/1")
            assert "드론 촬영" in await page.locator("#messages").inner_text()
            await page.fill("textarea[name=text]",
                            "Có, cần xin phép bay flycam. 네, 드론 촬영 허가가 필요합니다.")
            await page.click("form[action$='/reply'] button")
            await page.wait_for_url("**/desk/escalations/1")
            await page.locator("#messages", has_text="드론 촬영 허가가 필요합니다").wait_for()
            for width, name in ((390, "thread-phone"), (1280, "thread-desktop")):
                await page.set_viewport_size({"width": width, "height": 800})
                await page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
        finally:
            await browser.close()
        await fake.wait_for(lambda f: any("허가가 필요합니다" in (m["plain_text"] or "")
                                          for m in f.sent(crew)))
        await bot.app.settled()
        sent = [m["plain_text"] or "" for m in fake.sent(crew)]
        assert sum("허가가 필요합니다" in text for text in sent) == 1
    for name in ("queue-phone", "queue-desktop", "thread-phone", "thread-desktop"):
        shot = tmp_path / f"{name}.png"
        assert shot.exists() and shot.stat().st_size > 0
        keep = os.environ.get("CREWBOT_TEST_SCREENSHOTS")  # docs/: the README's pictures
        if keep:
            shutil.copyfile(shot, Path(keep) / f"desk-{name}.png")


async def test_a_status_change_made_in_the_browser_reaches_each_linked_chat_once(
        config: Config, fake: FakeTelegram) -> None:
    from playwright.async_api import async_playwright

    from tests.test_web_desk_applications import make, told_once

    async with running(desk_config(config, fake)) as bot, async_playwright() as driver:
        await add_account(bot)
        reference, code = await make(bot, "Rice and Rain")
        crews = (5301, 5302)
        for chat in crews:
            fake.message(chat, f"/track {reference} {code}", language_code="en")
            await answered(fake, chat, 1)
        browser = await driver.chromium.launch(executable_path=CHROMIUM,
                                               args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 800})
            await page.goto(f"{bot.web.base_url}/desk/login")
            await page.fill("input[name=email]", "lan@cuc.gov.vn")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url("**/desk/")
            await page.click("header nav a[href='/desk/applications']")
            await page.click(f"a[href='/desk/applications/{reference}']")
            assert await page.locator("#followers").inner_text() == "2"
            await page.select_option("#new-status", "under_review")
            await page.fill("#note", "File complete, thank you")
            await page.click("form#change button[type=submit]")
            await page.wait_for_url("**?notice=changed")
            assert "Under review" in await page.locator("#status").inner_text()
        finally:
            await browser.close()
        await told_once(bot, fake, crews, "File complete, thank you")
