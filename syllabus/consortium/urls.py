from django.urls import path

from . import views

app_name = "consortium"

urlpatterns = [
    path("config/", views.config_page, name="config"),
    path("config/<slug:key>/", views.config_set, name="config-set"),
    path("lists/", views.gateway, name="gateway"),
    path("lists/<id:list_id>/", views.gateway_list, name="gateway-list"),
    path("lists/<id:list_id>/copy/", views.gateway_copy, name="gateway-copy"),
    path("lists/<id:list_id>/share/", views.share, name="share"),
    path("ill/", views.ill_queue, name="ill"),
    path("ill/new/<id:record_id>/", views.ill_new, name="ill-new"),
    path("ill/ask/", views.ill_ask, name="ill-ask"),
    path("ill/mine/", views.ill_mine, name="ill-mine"),
    path("ill/mine/<id:ill_id>/cancel/", views.ill_mine_cancel, name="ill-mine-cancel"),
    path("ill/partners/", views.ill_partners, name="ill-partners"),
    path("ill/partners/<id:partner_id>/", views.ill_partner, name="ill-partner"),
    path("ill/<id:ill_id>/move/", views.ill_move, name="ill-move"),
    path("purchase/<id:record_id>/", views.purchase, name="purchase"),
    path("request/<id:record_id>/", views.cross_request, name="cross-request"),
    path("requests/", views.cross_mine, name="cross-mine"),
]
