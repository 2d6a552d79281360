"""Every new institution gets the default digitization department ``DIGI_DEPT_INST`` (DIG-6)."""


def institution_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from .services import ensure_defaults

        ensure_defaults(instance)
