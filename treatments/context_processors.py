from .models import SiteSettings


def site(request):
    """The site name, phone number and call-to-action shown on every page."""
    return {"site": SiteSettings.public()}
