"""The `crewbot` command. Exit codes: 0 ok, 1 failed, 2 usage or configuration error.

A reader that stops reading (`crewbot kb stats | head -1`) ends the command quietly
with 141, and Ctrl-C with 130, as the shell reports a command killed by SIGPIPE or
SIGINT: neither is a failure of crewbot, and neither prints a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from bot import __version__, cli_apps, cli_reminders, cli_staff
from bot.config import SUPPORTED_LANGUAGES, Config, ConfigError, StartupError, load_config

OK, FAILED, USAGE = 0, 1, 2
INTERRUPTED, PIPE_CLOSED = 130, 141  # 128 + SIGINT, 128 + SIGPIPE


def startup_failure(error: BaseException) -> tuple[int, str] | None:
    """The exit code and the one line for an error that stops any command at start.

    Every command goes through here, so a bad configuration, a database server that is
    down or a port already taken reads the same whichever command met it, and never as
    a traceback; anything else is a bug, and its traceback is worth having.
    """
    if isinstance(error, ConfigError):
        return USAGE, f"crewbot: configuration error: {error}"
    if isinstance(error, StartupError):
        return FAILED, f"crewbot: {error}"
    return None


class _DaemonThreads(ThreadPoolExecutor):
    """Blocking calls on daemon threads that neither the loop's end nor exit waits for.

    The console reads stdin on a thread, and a blocked `readline` cannot be interrupted:
    with the default executor, Ctrl-C in `crewbot chat` would wait for the next line
    (or for ever, on a pipe kept open) while asyncio and then the interpreter join it.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(result)

        threading.Thread(target=work, daemon=True, name="crewbot-blocking").start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the exit-time flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (a test's captured stdout)
        pass


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="crewbot",
        description="crewbot: the film authority's assistant for foreign crews in Vietnam.",
    )
    parser.add_argument("--version", action="version", version=f"crewbot {__version__}")
    parser.add_argument("--config", metavar="PATH",
                        help="configuration file (default: $CREWBOT_CONFIG, else ./config.toml)")
    # `--config` is accepted after the command too (`crewbot run --config x.toml`), the
    # way people type it; SUPPRESS keeps a later absence from erasing an earlier value.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="configuration file")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", parents=[common], help="talk to the bot in this terminal")
    chat.add_argument("--lang", choices=SUPPORTED_LANGUAGES, help="language to talk in")

    ask = sub.add_parser("ask", parents=[common],
                         help="answer one question (or a batch) from the knowledge base")
    ask.add_argument("--lang", choices=SUPPORTED_LANGUAGES,
                     help="answer in this language instead of the detected one")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument("--batch", metavar="FILE",
                     help="JSON lines with a field q (and optional lang, a platform hint); "
                          "- for stdin")
    ask.add_argument("question", nargs="*", help="the question")

    sub.add_parser("run", parents=[common], help="run the configured channels (Telegram, Zalo)")
    sub.add_parser("stats", parents=[common],
                   help="the staff desk: open escalations, time to first answer, ratings")

    db = sub.add_parser("db", parents=[common], help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", parents=[common], help="apply database migrations")

    kb = sub.add_parser("kb", parents=[common], help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="ACTION")
    kb_sub.add_parser("check", parents=[common],
                      help="validate knowledge/ and report every problem")
    kb_sub.add_parser("stats", parents=[common],
                      help="count articles and vendors per kind and language")
    gaps = kb_sub.add_parser("gaps", parents=[common],
                             help="the most frequent questions the bot could not answer")
    gaps.add_argument("--limit", type=int, default=20)

    zalo = sub.add_parser("zalo", parents=[common], help="Zalo Official Account tools")
    zalo_sub = zalo.add_subparsers(dest="zalo_command", metavar="ACTION")
    authorize = zalo_sub.add_parser(
        "authorize", parents=[common],
        help="exchange an OAuth authorization CODE for the OA's tokens and store them")
    authorize.add_argument("code", metavar="CODE",
                           help="the code Zalo put in the redirect after the OA admin agreed")
    authorize.add_argument("--verifier", default="",
                           help="the PKCE code_verifier, if the permission URL had a "
                                "code_challenge")
    app = cli_apps.add_parser(sub, common)
    reminders = cli_reminders.add_parser(sub, common)
    staff = cli_staff.add_parser(sub, common)
    return parser, {"ask": ask, "db": db, "kb": kb, "zalo": zalo, "app": app,
                    "reminders": reminders, "staff": staff}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return PIPE_CLOSED
    return code


def _quiet_after_the_loop(args: threading.ExceptHookArgs) -> None:
    """aiosqlite's worker thread may finish a call after `asyncio.run` has closed the
    loop (a failed connection's clean-up, racing the exit), and then cannot hand back
    its result: nobody waits for it any more, so that is no error worth a traceback."""
    if (isinstance(args.exc_value, RuntimeError) and "Event loop is closed"
            in str(args.exc_value)):
        return
    threading.__excepthook__(args)


def _main(argv: Sequence[str] | None) -> int:
    threading.excepthook = _quiet_after_the_loop
    parser, commands = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return USAGE
    if args.command == "ask" and not args.batch and not " ".join(args.question).strip():
        commands["ask"].error("give a QUESTION (not empty) or --batch FILE")
    for command, actions in (("db", "upgrade"), ("kb", "check, stats, gaps"),
                             ("zalo", "authorize"), ("app", cli_apps.ACTIONS),
                             ("reminders", cli_reminders.ACTIONS),
                             ("staff", cli_staff.ACTIONS)):
        if args.command == command and getattr(args, f"{command}_command") is None:
            commands[command].error(f"choose an ACTION: {actions}")
    if args.command == "app":
        cli_apps.check(args)
    try:
        config = load_config(args.config)
        from bot import logs

        logs.setup(config.log.level)
        return asyncio.run(_dispatch(args, config))
    except KeyboardInterrupt:
        return INTERRUPTED
    except (ConfigError, StartupError) as error:
        failure = startup_failure(error)
        assert failure is not None
        code, line = failure
        print(line, file=sys.stderr)
        return code


async def _dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "chat":
        return await cmd_chat(config, args.lang)
    if args.command == "ask":
        return cmd_ask(config, args)
    if args.command == "run":
        return await cmd_run(config)
    if args.command == "db":
        return await cmd_db_upgrade(config)
    if args.command == "zalo":
        return await cmd_zalo_authorize(config, args.code, args.verifier)
    if args.command == "app":
        return await cli_apps.run(args, config)
    if args.command == "reminders":
        return await cli_reminders.run(args, config)
    if args.command == "staff":
        return await cli_staff.run(args, config)
    if args.command == "stats":
        return await cmd_stats(config)
    if args.kb_command == "check":
        return cmd_kb_check(config)
    if args.kb_command == "stats":
        return cmd_kb_stats(config)
    return await cmd_kb_gaps(config, args.limit)


async def cmd_chat(config: Config, language: str | None) -> int:
    from bot.app import App
    from bot.channels.console import CHANNEL, ConsoleChannel
    from bot.services import chats

    asyncio.get_running_loop().set_default_executor(_DaemonThreads())
    app = await App.create(config)
    user = getpass.getuser()
    try:
        if language:
            async with app.db.session() as session:
                chat = await chats.get_or_create_chat(session, CHANNEL, user, user)
                await chats.set_language(session, chat, language)
        await ConsoleChannel(app.handle, user, language_hint=language or "").run()
    finally:
        await app.close()
    return OK


def _answer_record(reader: Any, question: str, hint: str, language: str | None
                   ) -> dict[str, Any]:
    """What the bot would answer: read as a chat would read it (one message, no earlier
    turn), with the reply's text as plain text."""
    from bot.formatting import to_plain
    from bot.i18n import default_catalogs
    from handlers.wording import (
        decline_text,
        no_article_text,
        render_text,
        several_text,
        text_for,
    )

    kb = reader.kb
    reading = reader.read(question, language, hint=hint)
    t = default_catalogs().get(reading.language)
    asks = reading.asks
    if reading.small_talk is not None:
        text = text_for(t, reading.small_talk) or ""
        candidates: list[tuple[str, float]] = []
    elif len(asks) > 1:
        text = several_text(t, asks)
        candidates = [(a.article.id, a.score) for a in asks]
    elif asks:
        text = render_text(asks[0].article, kb, t)
        candidates = [(asks[0].article.id, asks[0].score)]
    elif reading.unknown_places:
        text = no_article_text(t, reading.unknown_places)
        candidates = []
    else:
        text = decline_text(t, kb, reading.search)[0]
        candidates = list(reading.search.candidates) if reading.search else []
    first = asks[0] if asks else None
    return {
        "q": question,
        "lang": reading.language,
        "article": first.article.id if first else None,
        "articles": [a.article.id for a in asks],
        "score": round(first.score if first else (
            reading.search.score if reading.search else 0.0), 4),
        "escalate": not asks and reading.small_talk is None,
        "small_talk": reading.small_talk.kind if reading.small_talk else None,
        "unknown_places": [p.name("en") for p in reading.unknown_places],
        "answer_lang": (reading.language if first is None or first.article.has_language(
            reading.language) else "en"),
        "text": to_plain(text),
        "candidates": [[a, round(s, 4)] for a, s in candidates[:3]],
    }


def _read_batch(path: str) -> tuple[list[dict[str, Any]], str | None]:
    handle: TextIO = sys.stdin if path == "-" else Path(path).open(encoding="utf-8")  # noqa: SIM115
    rows: list[dict[str, Any]] = []
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                return rows, f"{path}:{number}: not JSON ({exc.msg})"
            if not isinstance(row, dict) or not isinstance(row.get("q"), str):
                return rows, f"{path}:{number}: expected an object with a string field q"
            rows.append(row)
    return rows, None


def cmd_ask(config: Config, args: argparse.Namespace) -> int:
    from bot.paths import knowledge_dir
    from bot.services.knowledge import KnowledgeBase
    from bot.services.understanding import Reader

    kb = KnowledgeBase.load(knowledge_dir(config.knowledge.dir),
                            config.knowledge.answer_threshold)
    reader = Reader.load(kb)
    if args.batch:
        try:
            rows, error = _read_batch(args.batch)
        except OSError as exc:
            print(f"crewbot ask: cannot read {args.batch}: {exc.strerror}", file=sys.stderr)
            return FAILED
        if error:
            print(f"crewbot ask: {error}", file=sys.stderr)
            return USAGE
        for row in rows:
            hint = row.get("lang") if isinstance(row.get("lang"), str) else ""
            record = _answer_record(reader, row["q"], hint or "", args.lang)
            print(json.dumps(record, ensure_ascii=False))
        return OK
    record = _answer_record(reader, " ".join(args.question), "", args.lang)
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
    else:
        print(record["text"])
    return OK


async def cmd_run(config: Config) -> int:
    if not (config.telegram_enabled or config.zalo_enabled):
        print(
            "crewbot run: no channel is configured.\n"
            f"  Configuration: {config.source}\n"
            "  Telegram: set [telegram] token (or $CREWBOT_TELEGRAM_TOKEN).\n"
            "  Zalo: set [zalo] api with app_id and oa_secret_key, or bot_token "
            "(see config.example.toml).\n"
            "To talk to the bot without any channel, run: crewbot chat",
            file=sys.stderr,
        )
        return FAILED
    from bot.runner import run

    return await run(config)


async def cmd_db_upgrade(config: Config) -> int:
    from sqlalchemy.engine import make_url

    from bot.storage import Database

    db = Database(config.database.url)
    try:
        await db.upgrade()
    finally:
        await db.close()
    safe = make_url(config.database.url).render_as_string(hide_password=True)
    print(f"database is up to date: {safe}")
    return OK


async def cmd_zalo_authorize(config: Config, code: str, verifier: str) -> int:
    """The first token pair (or a new one after the refresh token died), into the database.

    A running bot picks it up by itself within seconds; no restart needed. The database
    is opened before the code is spent: a code works once, and a pair that cannot be
    stored is lost. A code Zalo never saw (no connection, no answer, a 5xx) can be
    tried again; one Zalo refused cannot.
    """
    from bot.channels.zalo.errors import ZaloError, ZaloServerError
    from bot.channels.zalo.oa_client import DEFAULT_API_BASE_URL, OAClient
    from bot.channels.zalo.tokens import save_pair
    from bot.storage import Database

    settings = config.zalo
    missing = [key for key in ("app_id", "app_secret") if not getattr(settings, key)]
    if missing:
        print(f"crewbot zalo authorize: set [zalo] {' and '.join(missing)} first "
              f"(configuration: {config.source})", file=sys.stderr)
        return USAGE
    db = Database(config.database.url)
    try:
        await db.upgrade()
        client = OAClient(settings.app_id, settings.app_secret,
                          api_base_url=settings.api_base_url or DEFAULT_API_BASE_URL,
                          oauth_base_url=settings.oauth_base_url)
        try:
            pair = await client.authorize(code.strip(), verifier or None)
        except ZaloError as exc:
            if isinstance(exc, ZaloServerError):
                print(f"crewbot zalo authorize: cannot reach Zalo at {client.oauth_base_url} "
                      f"({exc}); the code was not used; try again with the same code",
                      file=sys.stderr)
            elif exc.retryable:
                print(f"crewbot zalo authorize: Zalo is limiting calls ({exc}); the code was "
                      "not used; try again in a minute with the same code", file=sys.stderr)
            else:
                print(f"crewbot zalo authorize: Zalo refused the code ({exc}); a code works "
                      "once and for 10 minutes: get a new one and try again", file=sys.stderr)
            return FAILED
        finally:
            await client.close()
        try:
            await save_pair(db, settings.app_id, pair)
        except Exception as exc:
            # The first line only: SQLAlchemy's next lines quote the statement's parameters,
            # which are the tokens.
            reason = (str(exc).splitlines() or [""])[0]
            print(f"crewbot zalo authorize: Zalo accepted the code but the tokens could not "
                  f"be stored ({type(exc).__name__}: {reason}); the code is spent: get a new "
                  "one and try again", file=sys.stderr)
            return FAILED
    finally:
        await db.close()
    print(f"Zalo OA authorized for app {settings.app_id}: tokens stored; the access token "
          f"is valid until {pair.expires_at:%Y-%m-%d %H:%M} UTC and is refreshed "
          "automatically from now on.")
    return OK


def cmd_kb_check(config: Config) -> int:
    """Every problem in the knowledge base, then a verdict: exit 1 on any problem.

    Problems are the loader's (schema, languages, links), the reader's files' (places,
    topics), the menus' (`menus.yaml`) and the review's (text a phone would show wrongly,
    a review date after today); an article whose sources are due for another check is
    only a warning.
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.app import knowledge_dir
    from bot.services.knowledge import loader, menus, review
    from bot.services.knowledge.model import ALL_LANGUAGES
    from bot.services.understanding import Gazetteer, Topics

    root = knowledge_dir(config)
    content = loader.load(root)
    problems = [str(problem) for problem in content.problems]
    # The reader's files: every place and topic must point at an article that exists.
    ids = set(content.articles)
    problems += Gazetteer.load(root / "places.yaml").check(ids)
    problems += Topics.load(root / "topics.yaml").check(ids, ALL_LANGUAGES)
    problems += [str(problem) for problem in menus.check(menus.load(root), content.articles)]
    # Review dates are calendar days at the department.
    today = datetime.now(ZoneInfo(config.bot.timezone)).date()
    found = review.review(root, content, today, config.knowledge.review_max_age_days)
    problems += [str(problem) for problem in found.failures]
    for problem in problems:
        print(problem)
    for warning in found.warnings:
        print(f"{warning.path}:{warning.line}: warning: {warning.message}")
    warnings = f", {len(found.warnings)} warning(s)" if found.warnings else ""
    if problems:
        print(f"{len(problems)} problem(s){warnings} in {root}", file=sys.stderr)
        return FAILED
    print(f"knowledge base OK: {len(content.articles)} articles, {len(content.vendors)} vendors "
          f"in {root}{warnings}")
    return OK


def cmd_kb_stats(config: Config) -> int:
    """Articles and vendors per kind and language; sources, primary and secondary, per
    article and overall; the articles that rest on secondary sources alone."""
    from bot.app import knowledge_dir
    from bot.services.knowledge import loader, sources
    from bot.services.knowledge.model import ALL_LANGUAGES

    content = loader.load(knowledge_dir(config))
    kinds = Counter(a.kind for a in content.articles.values())
    print("kind        " + " ".join(f"{lang:>4}" for lang in ALL_LANGUAGES) + "  total")
    for kind in sorted(kinds):
        articles = [a for a in content.articles.values() if a.kind == kind]
        counts = [sum(a.has_language(lang) for a in articles) for lang in ALL_LANGUAGES]
        print(f"{kind:<11} " + " ".join(f"{c:>4}" for c in counts) + f"  {len(articles):>5}")
    vendors = content.vendors
    vendor_counts = [sum(lang in v.services for v in vendors) for lang in ALL_LANGUAGES]
    print(f"{'vendor':<11} " + " ".join(f"{c:>4}" for c in vendor_counts) + f"  {len(vendors):>5}"
          f"  ({sum(v.sample for v in vendors)} samples)")
    ordered = sorted(content.articles.values(), key=lambda a: a.id)
    counted = [(article.id, *sources.count(article.sources)) for article in ordered]
    width = max([len("article"), *(len(article_id) for article_id, _, _ in counted)])
    print()
    print(f"{'article':<{width}}  primary  secondary")
    for article_id, primary, secondary in counted:
        print(f"{article_id:<{width}}  {primary:>7}  {secondary:>9}")
    primary = sum(p for _, p, _ in counted)
    secondary = sum(s for _, _, s in counted)
    print(f"{'all':<{width}}  {primary:>7}  {secondary:>9}")
    without = [article_id for article_id, p, _ in counted if not p]
    print(f"\nsources: {primary + secondary} ({primary} primary, {secondary} secondary)")
    print(f"articles without a primary source: {len(without)}"
          + (f" ({', '.join(without)})" if without else ""))
    if content.problems:
        print(f"{len(content.problems)} problem(s): run crewbot kb check", file=sys.stderr)
        return FAILED
    return OK


async def cmd_stats(config: Config) -> int:
    """What a head of department asks of a helpdesk: how many wait, how fast, how well."""
    from bot.app import App

    app = await App.create(config)
    try:
        async with app.db.session() as session:
            stats = await app.escalations.stats(session)
    finally:
        await app.close()
    print(f"escalations: {stats.total} ({stats.open} open)")
    if stats.median_minutes is None or stats.p90_minutes is None:
        print("time to first staff answer: no answer yet")
    else:
        print(f"time to first staff answer: median {stats.median_minutes:.0f} min, "
              f"p90 {stats.p90_minutes:.0f} min ({stats.answered} answered)")
    if stats.ratings:
        mean = sum(stats.ratings) / len(stats.ratings)
        spread = " ".join(f"{n}:{stats.ratings.count(n)}" for n in range(1, 6))
        print(f"ratings: {len(stats.ratings)}, mean {mean:.1f} ({spread})")
    else:
        print("ratings: none yet")
    return OK


async def cmd_kb_gaps(config: Config, limit: int) -> int:
    from bot.services.questions import gaps
    from bot.storage import Database

    db = Database(config.database.url)
    try:
        await db.upgrade()
        async with db.session() as session:
            rows = await gaps(session, limit)
    finally:
        await db.close()
    if not rows:
        print("no unanswered questions recorded")
        return OK
    print("count  lang  closest article          example")
    for gap in rows:
        print(f"{gap.count:>5}  {gap.language:<4}  {gap.best_article or '-':<24} {gap.example}")
    return OK
