from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from aura_site.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for an existing user; the token is printed once, on the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to recognise the token in admin.")
        parser.add_argument("--expires-days", type=int, default=None, metavar="N",
                            help="The token stops working N days from now (default: never).")

    def handle(self, *args, username: str, name: str, expires_days: int | None = None, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        if expires_days is not None and not 1 <= expires_days <= 3650:
            raise CommandError("--expires-days must be between 1 and 3650.")
        token, raw = ApiToken.issue(user=user, name=name,
                                    expires_in=timedelta(days=expires_days) if expires_days else None)
        until = f" It expires at {token.expires_at:%Y-%m-%d %H:%M} UTC." if token.expires_at else ""
        self.stdout.write(f"Created API token for {username}.{until} It is shown once; store it now:")
        self.stdout.write(raw)
