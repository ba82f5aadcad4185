"""The Sources view: each source titled in the reader's language where the article
gives one, the review date as the reader writes dates."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

from bot.app import App
from bot.config import Config, KnowledgeConfig
from bot.paths import bundled
from tests.conftest import Conversation


async def test_sources_in_the_readers_language(config: Config, tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(bundled("knowledge"), root)
    path = root / "articles" / "permit.fees.md"
    text = path.read_text(encoding="utf-8")
    old = ("  - title: Law on Cinema No. 05/2022/QH15 (Luật Điện ảnh 2022), full text\n")
    assert old in text
    text = re.sub(r"\nreviewed: .*", "\nreviewed: 2026-11-24", text, count=1)
    path.write_text(text.replace(old, (
        "  - title:\n      en: Law on Cinema No. 05/2022/QH15, full text\n"
        "      vi: Luật Điện ảnh số 05/2022/QH15, toàn văn\n"
        "      ko: 영화법 제05/2022/QH15호 전문\n"), 1), encoding="utf-8")
    app = await App.create(replace(config, knowledge=replace(KnowledgeConfig(), dir=str(root))))
    try:
        chat = Conversation(app)
        texts = {}
        for language in ("vi", "ko", "fr"):
            await chat.say(action=f"lang:{language}")
            texts[language] = (await chat.say(action="sources:permit.fees"))[0].text
    finally:
        await app.close()
    assert "- [Luật Điện ảnh số 05/2022/QH15, toàn văn](https://thuvienphapluat.vn/" \
        in texts["vi"]
    assert "- [영화법 제05/2022/QH15호 전문](https://" in texts["ko"]
    assert "- [Law on Cinema No. 05/2022/QH15, full text](https://" in texts["fr"]
    # A source with one title keeps it in every language.
    assert all("Circular 289/2016/TT-BTC, scope" in text for text in texts.values())
    assert "24 tháng 11, 2026" in texts["vi"] and "24 novembre 2026" in texts["fr"]
