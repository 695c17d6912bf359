"""The site's URLconf with the test type's addresses: what a real new type adds to
treatments/urls.py."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from netguide.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    *i18n_patterns(
        path("", include("tests.support_services.urls")), prefix_default_language=False
    ),
]
