"""The content types (and so the permissions) of the runs' models move from models_selection to runs.

Rows are relabelled in place, so every group and user keeps the rights it had (view_job, change_job…),
now checked as runs.view_job…; admin log entries keep pointing at their content type. Where a runs
content type already exists (permissions created before this ran), its permissions receive the
grants of the old ones and the old content type goes.
"""

from django.db import migrations

MODELS = ("job", "jobdecision", "stagerun")


def _move(apps, schema_editor, source: str, target: str) -> None:
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(*_user_model().split("."))
    for model in MODELS:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.using(db).filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        for permission in Permission.objects.using(db).filter(content_type=old):
            twin = Permission.objects.using(db).filter(content_type=new, codename=permission.codename).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            for group in Group.objects.using(db).filter(permissions=permission):
                group.permissions.add(twin)
            for user in User.objects.using(db).filter(user_permissions=permission):
                user.user_permissions.add(twin)
        _repoint_log_entries(apps, db, old, new)
        old.delete()
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    LiveContentType.objects.clear_cache()


def _user_model() -> str:
    from django.conf import settings

    return settings.AUTH_USER_MODEL


def _repoint_log_entries(apps, db, old, new) -> None:
    try:
        LogEntry = apps.get_model("admin", "LogEntry")
    except LookupError:
        return
    LogEntry.objects.using(db).filter(content_type=old).update(content_type=new)


def forwards(apps, schema_editor):
    _move(apps, schema_editor, "models_selection", "runs")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, "runs", "models_selection")


class Migration(migrations.Migration):

    dependencies = [
        ("runs", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        # The ready-made groups were granted the runs' permissions under models_selection: move them after.
        ("aura_site", "0003_viewers_and_editors_groups"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
