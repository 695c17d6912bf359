"""Who sent a request, for the throttles of the admin login and the appointment form."""

from django.conf import settings


def client_address(request):
    """The address the request came from, behind TRUSTED_PROXIES proxies.

    Each proxy in front of Django adds the address it was reached from to
    X-Forwarded-For, so the client is the TRUSTED_PROXIES-th address from the right;
    anything further left was written by the client and is not believed. With no
    proxy (0) it is the connection's address. docs/security.md says how to count.
    """
    trusted = settings.TRUSTED_PROXIES
    hops = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if trusted and hops:
        # Fewer hops than proxies: the farthest address a proxy recorded.
        return hops[-min(trusted, len(hops))]
    return request.META.get("REMOTE_ADDR", "")
