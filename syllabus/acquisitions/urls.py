from django.urls import path

from . import views

app_name = "acquisitions"

urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("tasks/<id:task_id>/", views.task_detail, name="task"),
    path("tasks/<id:task_id>/<slug:action>/", views.task_action, name="task-action"),
    path("citations/<id:citation_id>/tasks/", views.create_task, name="create-task"),
    path("citations/<id:citation_id>/purchase/", views.request_purchase, name="request-purchase"),
    path("suggest/", views.suggest, name="suggest"),
    path("mine/", views.my_requests, name="mine"),
    path("purchases/<id:request_id>/<slug:action>/", views.purchase_action, name="purchase-action"),
    path("citations/<id:citation_id>/editions/", views.check_editions, name="check-editions"),
    path("notices/<id:notice_id>/<slug:action>/", views.notice_action, name="notice-action"),
]
