"""Today's chat and e-mail numbers for a template that is not given them (the board includes
dashboard/channels.html and its tiles fetch their own numbers)."""

from django import template

from crm_bridge import channel_sync

register = template.Library()


@register.simple_tag
def channels_today() -> dict:
    return channel_sync.today()
