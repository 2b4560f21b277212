from django.contrib.messages import get_messages
from django.template.loader import render_to_string


def htmx_messages(get_response):
    """Flash messages ride out of band on every htmx response, so views only call messages.*."""

    def middleware(request):
        response = get_response(request)
        if not getattr(request, "htmx", False) or "HX-Redirect" in response:
            return response
        if response.get("Content-Type", "").startswith("text/html") or not response.content:
            storage = get_messages(request)
            if storage:
                response.write(render_to_string("toasts.html", {"messages": storage}))
        return response

    return middleware
