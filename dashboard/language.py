"""The language the UI speaks to a user (README "Languages"): their own choice (kept on their
Profile and copied into their session at log-in), else the browser's Accept-Language (Django's
LocaleMiddleware), else Polish (settings.LANGUAGE_CODE)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from crm_bridge import client

from .models import Profile

SESSION_KEY = "language"
CODES = [code for code, _ in settings.LANGUAGES]


def supported(code: str | None) -> str:
    """The code if we speak it ("pl-PL" counts as "pl"), else the default language."""
    code = (code or "").lower().split("-")[0]
    return code if code in CODES else settings.LANGUAGE_CODE


def user_language(get_response):
    """After LocaleMiddleware and authentication: a user's own choice wins over the browser's,
    and Thulium is asked for its messages in that language during the request."""

    def middleware(request: HttpRequest) -> HttpResponse:
        chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if chosen in CODES:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        with client.speaking(translation.get_language()):
            return get_response(request)

    return middleware


@receiver(user_logged_in)
def _remember_at_login(sender, request, user, **kwargs):
    chosen = Profile.language_of(user)
    if chosen and request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = chosen


@require_POST
@login_required
def set_language(request: HttpRequest) -> HttpResponse:
    """The switcher in the top bar: kept for this user (across sessions), this session, and
    this browser's cookie (so that the login page speaks it too)."""
    language = supported(request.POST.get("language"))
    Profile.choose(request.user, language)
    request.session[SESSION_KEY] = language
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
