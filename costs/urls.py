from django.urls import path

from . import insights_views, views

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
    path("insights/", insights_views.insights_panel, name="insights"),
    path("webhooks/", insights_views.webhooks_panel, name="webhooks"),
    path("webhooks/add/", insights_views.webhook_add, name="webhook_add"),
    path("webhooks/<int:webhook_id>/test/", insights_views.webhook_test, name="webhook_test"),
    path("webhooks/<int:webhook_id>/delete/", insights_views.webhook_delete, name="webhook_delete"),
    path("forecast-alerts/", insights_views.forecast_alerts_toggle, name="forecast_alerts"),
]
