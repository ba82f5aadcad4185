"""Buttons and menus shared by several handlers."""

from __future__ import annotations

from bot.i18n import NATIVE_NAMES, Translator
from bot.messages import Button, Reply
from bot.router import Context


def language_buttons(languages: list[str]) -> tuple[tuple[Button, ...], ...]:
    buttons = [Button(NATIVE_NAMES[lang], f"lang:{lang}") for lang in languages]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def language_choice(ctx: Context) -> Reply:
    _ = ctx._
    text = _("Welcome to crewbot, the film authority's assistant for crews shooting in "
             "Vietnam.") + "\n\n" + _("Please choose your language:")
    return Reply(text, language_buttons(ctx.app.config.bot.languages))


def main_menu_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    _ = ctx._
    return (
        (Button(_("Permits"), "browse:permits"), Button(_("Locations"), "browse:locations")),
        (Button(_("Vendors"), "browse:vendors"), Button(_("My application"), "application:status")),
        (Button(_("Talk to staff"), "staff:talk"), Button(_("Language"), "menu:language")),
    )


def main_menu(ctx: Context, edit: bool = False) -> Reply:
    _ = ctx._
    text = _("What would you like to know? Choose a topic, or simply type your question "
             "in your own language.")
    return Reply(text, main_menu_buttons(ctx), edit=edit)


def footer_buttons(t: Translator) -> tuple[Button, ...]:
    _ = t.gettext
    return (Button(_("Talk to staff"), "staff:talk"), Button(_("Main menu"), "menu:main"))
