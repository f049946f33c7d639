"""The two ready-made groups keep up with the models: Viewers read everything, Editors change the data.

The data migration that created the groups could only grant the permissions of the models that
existed then; models added later (webhooks, run stages, change history…) stayed out of reach of both
groups. So after every `migrate` the groups receive the permissions of every model of our apps:
Viewers every `view_`, Editors every permission except adding, changing or deleting API tokens, which
stay with administrators. Only groups that exist are completed, and no permission is ever removed.
"""

from __future__ import annotations

from django.apps import apps as global_apps

OUR_APPS = ("aura_site", "preferences", "models_selection", "costs", "runs")
VIEWERS, EDITORS = "Viewers", "Editors"


def groups_complete(*, using: str = "default", apps=global_apps) -> None:
    """Give Viewers and Editors the permissions of every model of our apps, per the rule above."""
    group_model = apps.get_model("auth", "Group")
    ours = apps.get_model("auth", "Permission").objects.using(using).filter(content_type__app_label__in=OUR_APPS)
    viewers = group_model.objects.using(using).filter(name=VIEWERS).first()
    if viewers is not None:
        viewers.permissions.add(*ours.filter(codename__startswith="view_"))
    editors = group_model.objects.using(using).filter(name=EDITORS).first()
    if editors is not None:
        editors.permissions.add(*ours.exclude(content_type__app_label="aura_site"),
                                *ours.filter(content_type__app_label="aura_site", codename__startswith="view_"))


def groups_complete_after_migrate(sender, app_config, using: str = "default", apps=global_apps, **kwargs) -> None:
    """post_migrate receiver: auth has just created the permissions of `app_config`'s models."""
    if app_config.label in OUR_APPS:
        groups_complete(using=using, apps=apps)
