from django.urls import path

from . import views

app_name = "fulfillment"

urlpatterns = [
    path("", views.my_requests, name="mine"),
    path("records/<id:record_id>/", views.record_services, name="record"),
    path("requests/<id:request_id>/", views.request_detail, name="request"),
    path("requests/<id:request_id>/file/", views.download, name="download"),
    path("requests/<id:request_id>/access/", views.file_page, name="file-page"),
    path("requests/<id:request_id>/<slug:action>/", views.request_action, name="action"),
    path("d/<str:token>/", views.link, name="link"),
    path("work/", views.work_queue, name="work"),
    path("configuration/", views.configuration, name="config"),
    path("citations/<id:citation_id>/<slug:kind>/", views.citation_request, name="citation-request"),
]
