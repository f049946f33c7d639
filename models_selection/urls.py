from django.urls import path

from . import views
from .runs import views as run_views

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
    path("jobs/", views.job_create, name="job_create"),
    path("jobs/<str:job_id>/", views.job_page, name="job"),
    path("jobs/<str:job_id>/decision/", views.job_decide, name="job_decide"),
    path("jobs/<str:job_id>/start/", run_views.job_start, name="job_start"),
    path("jobs/<str:job_id>/stages/", run_views.job_stages, name="job_stages"),
    path("jobs/<str:job_id>/artifacts.md", run_views.job_markdown, name="job_markdown"),
    path("runs/", run_views.runs_page, name="runs"),
]
