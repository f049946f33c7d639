from django.urls import path

from . import views

app_name = "runs"
urlpatterns = [
    path("jobs/", views.job_create, name="job_create"),
    path("jobs/<str:job_id>/", views.job_page, name="job"),
    path("jobs/<str:job_id>/decision/", views.job_decide, name="job_decide"),
    path("jobs/<str:job_id>/start/", views.job_start, name="job_start"),
    path("jobs/<str:job_id>/stages/", views.job_stages, name="job_stages"),
    path("jobs/<str:job_id>/artifacts.md", views.job_markdown, name="job_markdown"),
    path("runs/", views.runs_page, name="runs"),
]
