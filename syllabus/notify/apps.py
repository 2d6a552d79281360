from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "syllabus.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("letters")
