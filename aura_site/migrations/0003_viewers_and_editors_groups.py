"""Two ready-made groups: "Viewers" read everything, "Editors" also add, change and delete."""

from django.db import migrations

APPS = ["aura_site", "preferences", "models_selection", "costs"]


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure they exist now.
    for label in APPS + ["auth", "contenttypes"]:
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label__in=APPS)
    viewers, _ = Group.objects.get_or_create(name="Viewers")
    viewers.permissions.add(*ours.filter(codename__startswith="view_"))
    editors, _ = Group.objects.get_or_create(name="Editors")
    # API tokens are managed by administrators, not editors.
    editors.permissions.add(*ours.exclude(content_type__app_label="aura_site"),
                            *ours.filter(content_type__app_label="aura_site", codename__startswith="view_"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Viewers", "Editors"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("aura_site", "0002_api_token_expiry"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("preferences", "0002_presets"),
        ("models_selection", "0003_provider_key_bound_to_base_url"),
        ("costs", "0003_export_task_lifecycle"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
