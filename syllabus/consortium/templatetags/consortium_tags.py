from django import template

register = template.Library()


@register.simple_tag
def shared_in_consortium(lst) -> bool:
    """Whether the list shows in the consortium's lists gateway (CON-3)."""
    from syllabus.consortium.models import SharedList

    return SharedList.objects.filter(resource_list_id=lst.pk).exists()
