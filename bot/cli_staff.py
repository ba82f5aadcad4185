"""`crewbot staff add|list|disable|passwd`: the web desk's accounts, from a terminal.

A password is read from a prompt (twice, without echo) or, for scripts, from the first
line of stdin with `--password-stdin`; never from the command line, where `ps` and the
shell history would keep it. Only its argon2 hash reaches the database.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.config import Config

OK, FAILED, USAGE = 0, 1, 2
ACTIONS = "add, list, disable, passwd"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    staff = sub.add_parser("staff", parents=[common], help="web desk accounts (admins)")
    actions = staff.add_subparsers(dest="staff_command", metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="create a web desk account")
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--role", required=True, choices=("staff", "coordinator", "admin"))
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of stdin (scripts)")
    actions.add_parser("list", parents=[common], help="accounts, their role and state")
    disable = actions.add_parser("disable", parents=[common],
                                 help="refuse the account at once (its sessions too)")
    disable.add_argument("email", metavar="EMAIL")
    passwd = actions.add_parser("passwd", parents=[common], help="set a new password")
    passwd.add_argument("email", metavar="EMAIL")
    passwd.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin (scripts)")
    return staff


def _password(from_stdin: bool) -> str | None:
    """The new password, or None (said on stderr) when the two prompts differ."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        print("crewbot staff: the passwords differ; nothing changed", file=sys.stderr)
        return None
    return first


async def run(args: argparse.Namespace, config: Config) -> int:
    from bot.services import staff_accounts
    from bot.storage import Database

    password = ""
    if args.staff_command in ("add", "passwd"):
        read = await asyncio.to_thread(_password, args.password_stdin)
        if read is None:
            return FAILED
        password = read
    db = Database(config.database.url)
    try:
        await db.upgrade()
        async with db.session() as session:
            try:
                if args.staff_command == "add":
                    account = await staff_accounts.add(session, args.email, args.role,
                                                       password)
                    print(f"account {account.email} added (role {account.role})")
                elif args.staff_command == "passwd":
                    account = await staff_accounts.set_password(session, args.email,
                                                                password)
                    print(f"password of {account.email} changed")
                elif args.staff_command == "disable":
                    account = await staff_accounts.disable(session, args.email)
                    print(f"account {account.email} disabled")
                else:
                    accounts = await staff_accounts.listing(session)
                    if not accounts:
                        print("no accounts")
                    for account in accounts:
                        state = "disabled" if account.disabled else "active"
                        print(f"{account.email}\t{account.role}\t{state}")
            except staff_accounts.AccountError as error:
                print(f"crewbot staff {args.staff_command}: {error}", file=sys.stderr)
                return FAILED
    finally:
        await db.close()
    return OK
