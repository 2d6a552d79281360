"""The web shell: sign-in, home, course search, health check."""
from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from syllabus.courses import selectors as course_selectors
from syllabus.courses.permissions import can_manage_courses, can_see_roster
from syllabus.core import audit, paging
from syllabus.org.throttle import ThrottledFormMixin
from syllabus.web.htmx import is_htmx

from . import signin
from .panels import course_panels


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # the database is down or unreachable
        return JsonResponse({"status": "error", "database": "error", "detail": exc.__class__.__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class SignInForm(ThrottledFormMixin, AuthenticationForm):
    """The sign-in form: a locked account or address says so (issue 18 item 5)."""


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    form_class = SignInForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked is not None:  # too many failures: 429 with the time to wait
            response.status_code = 429
            response["Retry-After"] = str(form.locked.minutes * 60)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["signin_blocks"] = signin.login_blocks(self.request)  # e.g. SSO buttons (LMS-3)
        return context


class LogoutView(auth_views.LogoutView):
    """Django's sign-out, then wherever a plugged-in app sends the browser (LMS-3: the
    identity provider's own sign-out)."""

    def post(self, request, *args, **kwargs):
        then = signin.logout_redirect(request)
        response = super().post(request, *args, **kwargs)
        if not then:
            return response
        if url_has_allowed_host_and_scheme(then, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(then)
        # the answer to a form may not send the browser to another site: Chromium holds a redirect
        # after a form post to the page's CSP form-action ('self'), so the sign-out stopped here and the
        # identity provider's session lived on. A page of ours, then the provider's (LMS-3)
        return render(request, "web/signing_out.html", {"then": then})


@login_required
def home(request):
    user = request.user
    taught = user.courses_taught.select_related("institution").order_by("code")[:50]
    enrolled = user.courses_enrolled.select_related("institution").order_by("code")[:50]
    return render(request, "web/home.html", {"taught": taught, "enrolled": enrolled})


@login_required
def courses(request):
    q = request.GET.get("q", "").strip()
    term = request.GET.get("term", "").strip()
    qs = course_selectors.search_courses(request.user, q, term=term)
    page = paging.page_of(request, qs, 25)
    context = {"q": q, "term": term, "page": page}
    template = "web/_course_results.html" if is_htmx(request) else "web/courses.html"
    return render(request, template, context)


@login_required
def course_detail(request, course_id: int):
    course = course_selectors.course_for(request.user, course_id)
    if course is None:
        raise Http404
    manage = can_manage_courses(request.user, course.institution)
    history = list(audit.trail(course)[:20]) if manage else []
    return render(request, "web/course_detail.html", {"course": course, "history": history, "manage": manage,
                                                      "roster": can_see_roster(request.user, course),
                                                      "panels": course_panels(request, course)})
