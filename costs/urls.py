from django.urls import path

from . import views

app_name = "costs"
urlpatterns = [
    path("", views.costs_page, name="page"),
    path("configuration/", views.configuration_save, name="configuration"),
    path("period/", views.period_panel, name="period"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_ack"),
    path("pricing/", views.price_save, name="price_save"),
    path("optimize/", views.optimize, name="optimize"),
    path("jobs/<str:job_id>/", views.job_costs, name="job"),
    path("jobs/<str:job_id>/meter/", views.job_meter, name="meter"),
    path("jobs/<str:job_id>/export/", views.export_start, name="export"),
    path("exports/<uuid:export_id>/", views.export_status, name="export_status"),
]
