from .models import SiteSettings
from .structured_data import canonical_url


def site(request):
    """The site name, phone number and call-to-action shown on every page."""
    return {
        "site": SiteSettings.public(),
        "canonical_url": canonical_url(request),
    }
