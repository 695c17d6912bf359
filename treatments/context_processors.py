from django.conf import settings

from .models import SiteSettings


def site(request):
    """The site name, phone number and call-to-action shown on every page."""
    return {
        "site": SiteSettings.public(),
        "canonical_url": settings.SITE_URL.rstrip("/") + request.path,
    }
