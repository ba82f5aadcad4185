"""Vendor lists: "sample" said once per list, and narrowed to a city by its buttons."""

from __future__ import annotations

from bot.messages import Reply
from bot.services.knowledge import KnowledgeBase, Vendor
from tests.conftest import Conversation


def labels(replies: list[Reply]) -> list[str]:
    return [button.label for reply in replies for button in reply.all_buttons()]


async def test_a_vendor_answer_offers_its_cities_and_each_lists_its_own(
        conversation: Conversation) -> None:
    menu = await conversation.say("/menu")
    vendors = await conversation.press(menu, "Vendors")
    rental = await conversation.press(vendors, "Equipment rental")
    assert {"Hanoi", "Ho Chi Minh City", "Da Nang"} <= set(labels(rental))
    da_nang = await conversation.press(rental, "Da Nang")
    text = "\n".join(reply.text for reply in da_nang)
    assert text.startswith("**Equipment rental in Da Nang:**")
    assert "Central Coast Gear" in text and "(Da Nang)" in text
    assert "Lotus Camera Rental" not in text and "Mekong Grip" not in text
    assert text.lower().count("sample") == 1  # once for the list, not on the entry
    assert "Da Nang" not in labels(da_nang)
    assert {"Hanoi", "Ho Chi Minh City", "All cities", "Camera, lighting and grip rental",
            "Main menu"} <= set(labels(da_nang))
    every = await conversation.press(da_nang, "All cities")
    text = "\n".join(reply.text for reply in every)
    assert text.startswith("**Equipment rental:**")
    assert all(name in text for name in ("Lotus Camera Rental", "Mekong Grip & Electric",
                                         "Central Coast Gear"))
    assert text.lower().count("sample") == 1 and "All cities" not in labels(every)


async def test_the_details_say_sample_once_and_cities_in_the_readers_language(
        conversation: Conversation) -> None:
    details = await conversation.say(action="details:vendors.equipment-rental")
    text = "\n".join(reply.text for reply in details)
    listed = text.split("**Vendors on our list:**")[1]
    assert listed.lower().count("sample") == 1 and "Central Coast Gear (sample)" not in listed
    await conversation.say(action="lang:vi")
    answer = await conversation.say(action="article:vendors.equipment-rental")
    assert {"Hà Nội", "Đà Nẵng", "Thành phố Hồ Chí Minh"} <= set(labels(answer))
    da_nang = await conversation.press(answer, "Đà Nẵng")
    assert "Đà Nẵng" in da_nang[0].text and "(Đà Nẵng)" in da_nang[0].text
    assert "Da Nang" not in da_nang[0].text


async def test_an_unknown_city_lists_them_all_and_an_unknown_category_says_so(
        conversation: Conversation) -> None:
    everywhere = await conversation.say(action="vendors:equipment-rental:atlantis")
    assert everywhere[0].text.startswith("**Equipment rental:**")
    gone = await conversation.say(action="vendors:time-travel:hanoi")
    assert gone[0].text == "That menu is no longer available."


def test_a_list_mixing_samples_and_real_companies_marks_the_samples(
        knowledge: KnowledgeBase) -> None:
    from bot.i18n import default_catalogs
    from handlers.wording import vendors_text

    sample = knowledge.vendors_in("casting")[0]
    real = Vendor("real-casting", "Real Casting Co.", "casting", "Hue", ("vi",),
                  {"en": "Extras."}, {"phone": "+84 234 000 000"}, False, "x.yaml")
    text = vendors_text([sample, real], default_catalogs().get("en"), "**Casting:**")
    assert "Entries marked (sample) are not real companies." in text
    assert f"**{sample.name.removesuffix(' (sample)')}** (sample) (" in text
    assert "**Real Casting Co.** (Hue)" in text
