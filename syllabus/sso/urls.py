from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("<slug:institution>/saml/metadata/", views.saml_metadata, name="saml-metadata"),
    path("<slug:institution>/saml/acs/", views.saml_acs, name="saml-acs"),
    path("<slug:institution>/saml/sls/", views.saml_sls, name="saml-sls"),
    path("<slug:institution>/saml/discovery/", views.saml_discovery, name="saml-discovery"),
    path("<slug:institution>/saml/discovery/start/", views.saml_discovery_start, name="saml-discovery-start"),
    path("<slug:institution>/<slug:slug>/login/", views.start, name="login"),
    path("<slug:institution>/<slug:slug>/callback/", views.oidc_callback, name="oidc-callback"),
    path("<slug:institution>/<slug:slug>/frontchannel-logout/", views.oidc_frontchannel_logout,
         name="oidc-frontchannel-logout"),
    path("<slug:institution>/<slug:slug>/backchannel-logout/", views.oidc_backchannel_logout,
         name="oidc-backchannel-logout"),
]
