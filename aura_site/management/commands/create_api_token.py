from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from aura_site.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for an existing user; the token is printed once, on the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to recognise the token in admin.")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        _token, raw = ApiToken.issue(user=user, name=name)
        self.stdout.write(f"Created API token for {username}. It is shown once; store it now:")
        self.stdout.write(raw)
