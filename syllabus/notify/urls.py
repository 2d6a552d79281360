from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.notifications, name="list"),
    path("<id:pk>/read/", views.notification_read, name="read"),
    path("read-all/", views.notifications_read_all, name="read-all"),
    path("nav/", views.nav, name="nav"),
    path("preferences/", views.preferences, name="preferences"),
    path("letters/", views.letters, name="letters"),
    path("letters/<slug:code>/", views.letter_edit, name="letter"),
    path("letters/<slug:code>/preview/", views.letter_preview, name="letter-preview"),
    path("letters/<slug:code>/switch/", views.letter_switch, name="letter-switch"),
    path("letters/<slug:code>/reset/", views.letter_reset, name="letter-reset"),
    path("letters/<slug:code>/test/", views.letter_test, name="letter-test"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<id:pk>/retry/", views.outbox_retry, name="outbox-retry"),
]
