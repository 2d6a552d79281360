from django.apps import AppConfig


class DiscussionConfig(AppConfig):
    name = "syllabus.discussion"
    label = "discussion"
