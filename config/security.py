"""Who is asking, behind a proxy, and what a page may load: one seam for the login lockout
(django-axes), the webhook's source-IP allow-list and the Content-Security-Policy.

The client's address is the TCP peer's, unless the peer is one of TRUSTED_PROXIES: then it is
read from X-Forwarded-For, right to left, skipping the trusted proxies (what nginx's
real_ip_recursive does). A header sent by anyone else is ignored, so it cannot be forged.
"""

from ipaddress import ip_address

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest


def _is_in(address: str, networks) -> bool:
    try:
        ip = ip_address(address.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str = "") -> str:
    """The client's IP address given the TCP peer and the X-Forwarded-For header (if any)."""
    if not _is_in(peer, settings.TRUSTED_PROXIES):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    while hops:
        hop = hops.pop()
        if not _is_in(hop, settings.TRUSTED_PROXIES):
            return hop
    return peer  # every hop is a trusted proxy (or no header): the nearest one asked


def request_client_address(request: HttpRequest) -> str:
    """The client's IP address for a Django request (AXES_CLIENT_IP_CALLABLE)."""
    return client_address(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def webhook_source_refused(peer: str, forwarded_for: str = "") -> str:
    """Why a webhook from this source is refused (THULIUM_WEBHOOK_ALLOWED_IPS), or ""."""
    allowed = settings.THULIUM_WEBHOOK_ALLOWED_IPS
    source = client_address(peer, forwarded_for)
    if not allowed or _is_in(source, allowed):
        return ""
    return f"Source address {source} is not in THULIUM_WEBHOOK_ALLOWED_IPS"


class ContentSecurityPolicy(CSPMiddleware):
    """django-csp's policy (CONTENT_SECURITY_POLICY), plus the page's own host for websockets:
    connect-src 'self' does not cover ws:/wss: in every browser."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:  # answered 400 already; nothing to connect to
            return parts
        if not report_only:
            scheme = "wss" if request.is_secure() else "ws"
            parts.update = {**(parts.update or {}), "connect-src": [f"{scheme}://{host}"]}
        return parts
