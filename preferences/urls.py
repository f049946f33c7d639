from django.urls import path

from . import views

app_name = "preferences"
urlpatterns = [
    path("", views.index, name="index"),
    path("import-export/", views.import_export, name="import_export"),
    path("import-export/export.json", views.export_download, name="export"),
    path("import-export/import/", views.import_run, name="import"),
    path("filtering-policies/<uuid:item_id>/check/", views.policy_check, name="policy_check"),
    path("prompt-templates/<uuid:item_id>/preview/", views.template_preview, name="template_preview"),
    path("<slug:slug>/", views.item_list, name="list"),
    path("<slug:slug>/new/", views.item_create, name="create"),
    path("<slug:slug>/<uuid:item_id>/", views.item_edit, name="edit"),
    path("<slug:slug>/<uuid:item_id>/delete/", views.item_delete, name="delete"),
    path("<slug:slug>/<uuid:item_id>/select/", views.item_select, name="select"),
    path("<slug:slug>/<uuid:item_id>/favorite/", views.item_favorite, name="favorite"),
    path("<slug:slug>/<uuid:item_id>/clone/", views.item_clone, name="clone"),
]
