"""factory_boy factories for the foundation's models."""
import factory
from django.contrib.auth.hashers import make_password

from syllabus.courses.models import Course
from syllabus.org.models import Consortium, Institution, Library, User, UserGroup


class ConsortiumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consortium

    code = factory.Sequence(lambda n: f"cons-{n}")
    name = factory.Sequence(lambda n: f"Consortium {n}")


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    consortium = factory.SubFactory(ConsortiumFactory)
    code = factory.Sequence(lambda n: f"inst-{n}")
    name = factory.Sequence(lambda n: f"Institution {n}")


class LibraryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Library

    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: f"lib-{n}")
    name = factory.Sequence(lambda n: f"Library {n}")


class UserGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserGroup

    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: f"group-{n}")
    name = factory.Sequence(lambda n: f"Group {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu")
    password = factory.LazyFunction(lambda: make_password("pw"))
    institution = factory.SubFactory(InstitutionFactory)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Sequence(lambda n: f"Course {n}")
    section = "01"
    term = "2026S"
