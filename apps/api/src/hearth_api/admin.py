"""``hearth admin``: what an operator does by hand, on the app's own services.

- ``create-user USERNAME --email ADDRESS [--display-name NAME]``: an account whatever the registration
  mode; the password is read from ``HEARTH_ADMIN_PASSWORD`` or asked for (never an argument: it would show
  in the process list and the shell history).
- ``suspend USERNAME`` / ``unsuspend USERNAME``: a suspended account cannot log in, its tokens stop working
  at once, and its posts and comments are hidden from everyone else until it is unsuspended.
- ``create-invite [--count N] [--days D]``: operator's invite codes (counted against no one's quota).
- ``registration-mode [open|invite|closed]``: show it, or change it at run time (it overrides
  ``HEARTH_REGISTRATION_MODE`` from then on, for every process).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

# Only the standard library up here, as in ``cli``: `hearth --help` builds this parser without the app.
if TYPE_CHECKING:
    from hearth_platform.settings import Settings
    from hearth_platform.uow import UnitOfWorkContext

PASSWORD_ENV = "HEARTH_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable


def add_parser(sub: Any, func: Callable[[argparse.Namespace], int], formatter: type[argparse.HelpFormatter]) -> None:
    admin = sub.add_parser(
        "admin", help="operators' commands: users, suspension, invites, registration mode", formatter_class=formatter
    )
    commands = admin.add_subparsers(dest="admin_command", required=True)
    create = commands.add_parser(
        "create-user", help=f"create an account (password from ${PASSWORD_ENV} or asked)", formatter_class=formatter
    )
    create.add_argument("username")
    create.add_argument("--email", required=True)
    create.add_argument("--display-name")
    for name, text in (("suspend", "suspend an account"), ("unsuspend", "lift a suspension")):
        command = commands.add_parser(name, help=text, formatter_class=formatter)
        command.add_argument("username")
    invite = commands.add_parser("create-invite", help="print new invite codes", formatter_class=formatter)
    invite.add_argument("--count", type=int, default=1)
    invite.add_argument("--days", type=float, default=0, help="valid this many days (default HEARTH_INVITE_TTL)")
    mode = commands.add_parser(
        "registration-mode", help="show the registration mode, or set it", formatter_class=formatter
    )
    mode.add_argument("mode", nargs="?", choices=("open", "invite", "closed"))
    admin.set_defaults(func=func)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from hearth_platform.errors import HearthError
    from hearth_platform.uow import unit_of_work

    from .app import create_app

    app = create_app(settings, configure_logs=False)

    async def within_app() -> int:
        async with app.router.lifespan_context(app):
            state = app.state

            @contextmanager
            def uow() -> Iterator[UnitOfWorkContext]:
                with unit_of_work(state.database, state.event_bus, state.container) as unit:
                    yield unit

            try:
                return COMMANDS[args.admin_command](uow, args)
            except HearthError as exc:
                print(f"hearth admin: {exc.detail or exc}", file=sys.stderr)
                return 1

    return asyncio.run(within_app())


Units = Callable[[], Any]


def _create_user(uow: Units, args: argparse.Namespace) -> int:
    from hearth_identity import InvalidInput, Operators

    password = os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {args.username}: ")
    try:
        with uow() as unit:
            user_id = unit.resolve(Operators).create_user(args.username, args.email, password, args.display_name)
    except InvalidInput as exc:
        print(f"hearth admin: {exc}", file=sys.stderr)
        return 2
    print(f"created {args.username.lower()} (id {user_id})")
    return 0


def _suspension(suspend: bool) -> Callable[[Units, argparse.Namespace], int]:
    def command(uow: Units, args: argparse.Namespace) -> int:
        from hearth_identity import Operators

        with uow() as unit:
            changed = unit.resolve(Operators).set_suspended(args.username, suspend)
        if changed is None:
            print(f"hearth admin: no account is named {args.username}", file=sys.stderr)
            return 1
        word = "suspended" if suspend else "unsuspended"
        print(
            f"{args.username} {word}" if changed else f"{args.username} was not {'active' if suspend else 'suspended'}"
        )
        return 0

    return command


def _create_invite(uow: Units, args: argparse.Namespace) -> int:
    from hearth_identity import Operators

    ttl = int(args.days * 86400) or None
    with uow() as unit:
        made = unit.resolve(Operators).create_invites(args.count, ttl)
    for code, expires_at in made:
        print(f"{code}\texpires {expires_at.isoformat()}")
    return 0


def _registration_mode(uow: Units, args: argparse.Namespace) -> int:
    from hearth_identity import Operators

    with uow() as unit:
        print(unit.resolve(Operators).registration_mode(args.mode))
    return 0


COMMANDS: dict[str, Callable[[Units, argparse.Namespace], int]] = {
    "create-user": _create_user,
    "suspend": _suspension(True),
    "unsuspend": _suspension(False),
    "create-invite": _create_invite,
    "registration-mode": _registration_mode,
}
