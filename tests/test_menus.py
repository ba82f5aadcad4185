"""The Permits menu in a crew's order, set in knowledge/menus.yaml."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from bot.app import App
from bot.config import Config, KnowledgeConfig
from bot.paths import bundled
from tests.conftest import Conversation


async def test_permits_start_with_the_route_and_keep_practical_matters_apart(
        conversation: Conversation) -> None:
    menu = await conversation.say("/menu")
    permits = await conversation.press(menu, "Permits")
    actions = [button.action for button in permits[0].all_buttons()]
    assert actions[:6] == ["article:permit.overview", "article:permit.service-provider",
                           "article:permit.dossier", "article:permit.content-review",
                           "article:permit.timeline", "article:permit.fees"]
    assert not [a for a in actions if a.startswith("article:practical.")]
    assert actions[-3:] == ["browse:practical", "staff:talk", "menu:main"]
    practical = await conversation.press(permits, "Practical matters: seasons, holidays, "
                                                  "safety")
    assert practical[0].edit and practical[0].text.startswith(
        "**Practical matters: seasons, holidays, safety**")
    assert [b.action for b in practical[0].all_buttons()] == [
        "article:practical.seasons", "article:practical.holidays", "article:practical.safety",
        "browse:permits", "staff:talk", "menu:main"]
    back = await conversation.press(practical, "Permits")
    assert back[0].all_buttons()[0].action == "article:permit.overview"


async def test_a_submenu_in_the_readers_language(conversation: Conversation) -> None:
    await conversation.say(action="lang:ko")
    practical = await conversation.say(action="browse:practical")
    assert practical[0].text.startswith("**현장 실무: 날씨, 공휴일, 안전**")
    assert practical[0].all_buttons()[0].label == "지역별 날씨·계절·태풍 시기"


async def test_an_article_the_menus_forget_is_still_shown(config: Config,
                                                          tmp_path: Path) -> None:
    """`kb check` fails on it, but a crew still finds the article, after the listed ones."""
    root = tmp_path / "knowledge"
    shutil.copytree(bundled("knowledge"), root)
    menus = root / "menus.yaml"
    menus.write_text(menus.read_text(encoding="utf-8").replace("    - incentives\n", "", 1),
                     encoding="utf-8")
    app = await App.create(replace(config, knowledge=replace(KnowledgeConfig(), dir=str(root))))
    try:
        permits = await Conversation(app).say(action="browse:permits")
    finally:
        await app.close()
    actions = [button.action for button in permits[0].all_buttons()]
    assert actions[-4:] == ["browse:practical", "article:incentives", "staff:talk",
                            "menu:main"]
