"""A bare python-telegram-bot echo bot: the yardstick for `bench_telegram.py`.

    python benchmarks/echo_bot.py TOKEN BASE_URL

Polling, one handler that sends the text back: the least work a Telegram bot can do
per message with the same library, so the ratio to it is crewbot's own cost.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    token, base_url = sys.argv[1], sys.argv[2]
    application = (Application.builder().token(token).base_url(base_url)
                   .concurrent_updates(True).build())
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0.0, timeout=5, drop_pending_updates=False)


if __name__ == "__main__":
    main()
