from django import template

from ..queues import needs_action_count

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_action_count(context):
    """How many items on the editorial desk wait for the signed-in user."""
    return needs_action_count(context["request"].user)
