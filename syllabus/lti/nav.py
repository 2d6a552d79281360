from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry

# LTI Dynamic Registration links (LMS-1): the institution's administrators
entry("back_office", _("LMS registration links"), "lti:registrations",
      when=lambda u: u.is_active and bool(u.institution_id) and u.is_administrator, order=91)
