from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "syllabus.lists"
    label = "lists"
