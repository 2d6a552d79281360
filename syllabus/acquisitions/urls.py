from django.urls import path

from . import views

app_name = "acquisitions"

urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/<slug:action>/", views.task_action, name="task-action"),
    path("citations/<int:citation_id>/tasks/", views.create_task, name="create-task"),
    path("citations/<int:citation_id>/purchase/", views.request_purchase, name="request-purchase"),
    path("purchases/<int:request_id>/<slug:action>/", views.purchase_action, name="purchase-action"),
    path("citations/<int:citation_id>/editions/", views.check_editions, name="check-editions"),
    path("notices/<int:notice_id>/<slug:action>/", views.notice_action, name="notice-action"),
]
