from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Make sure an administrator account exists, and say how to sign in."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        User = get_user_model()
        existing = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if existing is not None:
            self.stdout.write(
                f"Sign in at http://127.0.0.1:8000/ as {existing.username!r} "
                "(password unchanged; reset it with `manage.py changepassword`)."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        password_file = settings.DATA_DIR / "admin_password"
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self.stdout.write(
            f"Created administrator {username!r} with password {password}\n"
            f"(also saved in {password_file}). Sign in at http://127.0.0.1:8000/"
        )
