"""Pages of long-term digital loans, mounted at /lending/."""
from django.urls import path

from . import views

app_name = "lending"

urlpatterns = [
    # patrons
    path("", views.browse, name="browse"),
    path("titles/<id:rep_id>/", views.title, name="title"),
    path("titles/<id:rep_id>/request/", views.place, name="place"),
    path("loans/<id:pk>/view/", views.viewer, name="viewer"),
    path("loans/<id:pk>/view/start/", views.start, name="start"),
    path("loans/<id:pk>/content/", views.content, name="content"),
    path("loans/<id:pk>/finish/", views.finish, name="finish"),
    path("loans/<id:pk>/renew/", views.renew, name="renew"),
    path("loans/<id:pk>/cancel/", views.patron_cancel, name="patron-cancel"),
    path("card/", views.card, name="card"),
    # back office
    path("requests/", views.monitor, name="monitor"),
    path("requests/<id:pk>/", views.request_detail, name="request"),
    path("requests/<id:pk>/edit/", views.edit, name="edit"),
    path("requests/<id:pk>/cancel/", views.cancel, name="cancel"),
    path("representations/<id:rep_id>/queue/", views.queue, name="queue"),
    path("representations/<id:rep_id>/on-behalf/", views.on_behalf, name="on-behalf"),
    path("representations/<id:rep_id>/staff-access/", views.staff_access, name="staff-access"),
    path("representations/<id:rep_id>/rights/", views.rights, name="rights"),
    path("search/", views.search, name="search"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_form, name="policy-new"),
    path("policies/<id:pk>/", views.policy_form, name="policy"),
]
