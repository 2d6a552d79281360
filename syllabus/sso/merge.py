"""What a merge of two accounts does to single sign-on (LMS-3; ORG-MERGE, org.merging).

The identities a provider linked to the source (``LinkedAccount``: provider + subject) now sign in
the target — one subject names one account, so nothing clashes; the target then answers every
subject the two accounts had.  The source's sign-in records (for the provider's single logout of
its sessions, which end since the account is inactive) stay with it."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import LinkedAccount, SignIn


@participant("sso.LinkedAccount.user", kept=("sso.SignIn.user",))
def single_sign_on(merge: Merge) -> None:
    merge.reassign(LinkedAccount, "user", what="SSO linked identities")
    merge.keep(SignIn, "user", what="SSO sign-in sessions")
