"""/start, /language, /menu, /help, and commands nobody knows."""

from __future__ import annotations

from bot.i18n import N_
from bot.messages import Reply
from bot.router import Context, Router
from bot.services import chats, roles
from handlers import applications
from handlers.articles import render
from handlers.menus import language_choice, main_menu


def deep_link_article(payload: str) -> str:
    """Deep-link payloads allow only `A-Za-z0-9_-`, so `permit.drone` travels as `permit_drone`."""
    return payload.replace("_", ".", 1)


async def start(ctx: Context) -> list[Reply]:
    """`/start`, or a deep link: `/start ko` picks Korean, `/start permit_drone` opens
    that article (links printed on posters and the department's site), `/start t-...`
    follows an application (the link `crewbot app link` prints)."""
    payload = ctx.incoming.args
    if payload:
        if payload.lower() in ctx.app.config.bot.languages:
            return await _set_language(ctx, payload.lower())
        if applications.is_link_token(payload):
            return await applications.track_link(ctx, payload)
        article = ctx.app.knowledge.by_id.get(deep_link_article(payload))
        if article is not None:
            return render(article, ctx)
    return [language_choice(ctx)]


async def _set_language(ctx: Context, language: str) -> list[Reply]:
    await chats.set_language(ctx.session, ctx.chat, language)
    ctx = ctx.with_language(language)
    return [Reply(ctx._("Language set to English.")), main_menu(ctx)]


async def choose_language(ctx: Context) -> list[Reply]:
    language = ctx.incoming.action.partition(":")[2]
    if language not in ctx.app.config.bot.languages:
        return [language_choice(ctx)]
    await chats.set_language(ctx.session, ctx.chat, language)
    ctx = ctx.with_language(language)
    confirmation = ctx._("Language set to English.")
    menu = main_menu(ctx)
    return [Reply(confirmation + "\n\n" + menu.text, menu.buttons, edit=True)]


async def language(ctx: Context) -> list[Reply]:
    wanted = ctx.incoming.args.lower()
    if not wanted:
        return [language_choice(ctx)]
    languages = ctx.app.config.bot.languages
    if wanted not in languages:
        usage = ctx._("Usage: /language [{codes}]").format(codes="|".join(languages))
        return [Reply(usage)]
    return await _set_language(ctx, wanted)


async def menu(ctx: Context) -> list[Reply]:
    return [main_menu(ctx, edit=bool(ctx.incoming.action))]


async def show_menu(ctx: Context) -> list[Reply]:
    target = ctx.incoming.action.partition(":")[2]
    if target == "language":
        return [language_choice(ctx)]
    return [main_menu(ctx, edit=True)]


def help_text(ctx: Context) -> str:
    _ = ctx._
    return "\n".join([
        _("**How crewbot helps**"),
        _("Ask any question about filming in Vietnam in your own language: permits, drones, "
          "visas, equipment, locations, local vendors. Every answer comes from the film "
          "authority's knowledge base, with its source. When I don't know, I say so and "
          "offer you a member of staff."),
        "",
        _("/start - choose your language and open the menu"),
        _("/menu - the main menu"),
        _("/language - change the language"),
        _("/help - this help"),
        _("/timezone - your time zone, for reminders"),
        *([_("/remind, /reminders, /cancel - reminders to crews (coordinators)")]
          if roles.is_coordinator(ctx.role) else []),
    ])


async def help_(ctx: Context) -> list[Reply]:
    return [Reply(help_text(ctx), main_menu(ctx).buttons)]


async def unknown_command(ctx: Context) -> list[Reply]:
    text = ctx._("I don't know the command /{command}.").format(command=ctx.incoming.command)
    usage = ctx._("Usage: /start, /menu, /language, /help, or just type your question.")
    return [Reply(text + "\n" + usage)]


def register(router: Router) -> None:
    router.command("start", start, N_("Choose your language and open the menu"))
    router.command("menu", menu, N_("Permits, locations, vendors and staff"))
    router.command("language", language, N_("Change the language"))
    router.command("help", help_, N_("What crewbot can do for you"))
    router.action("lang", choose_language)
    router.action("menu", show_menu)
    router.unknown_command(unknown_command)
