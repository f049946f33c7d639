from django.urls import path

from . import views

app_name = "models_selection"
urlpatterns = [
    path("", views.models_page, name="page"),
    path("audit/", views.audit_table, name="audit"),
    path("selection/", views.selection_save, name="selection_save"),
    path("selection/<slug:stage>/pin/", views.selection_pin, name="selection_pin"),
    path("fallback/", views.fallback_toggle, name="fallback"),
    path("probes/", views.probe_start, name="probe_start"),
    path("probes/<int:probe_id>/", views.probe_status, name="probe_status"),
    path("explain/", views.explain, name="explain"),
]

