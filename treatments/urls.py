from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_distill import distill_path

from netguide.page_cache import public_page

from . import views
from .models import SideEffect, Treatment
from .sitemaps import SITEMAPS

app_name = "treatments"


def published_slugs(model):
    """The published slugs in the active language: netguide/static_site.py publishes
    each language's pages with that language active."""
    return lambda: model.objects.in_language().published_slugs()


# distill_path: the page is also published as a file (netguide/static_site.py), rebuilt
# when content of a kind its @public_page names is approved. Pages that read the query
# string (explore, compare, my questions, search) stay with Django.
urlpatterns = [
    distill_path("", views.home, name="home"),
    distill_path(
        _("treatments/<slug:slug>/"),
        views.treatment_detail,
        name="treatment",
        distill_func=published_slugs(Treatment),
    ),
    distill_path(_("side-effects/"), views.side_effect_list, name="side-effects"),
    distill_path(
        _("side-effects/<slug:slug>/"),
        views.side_effect_detail,
        name="side-effect",
        distill_func=published_slugs(SideEffect),
    ),
    distill_path(_("medical-and-editorial-policy/"), views.policy, name="policy"),
    distill_path(_("privacy/"), views.privacy, name="privacy"),
    path(_("explore/"), views.explore, name="explore"),
    path(_("compare/"), views.compare, name="compare"),
    distill_path(_("glossary/"), views.glossary, name="glossary"),
    path(_("my-questions/"), views.my_questions, name="my-questions"),
    path(_("my-questions/print/"), views.my_questions_print, name="my-questions-print"),
    path(_("search/"), views.search_view, name="search"),
    distill_path(
        "sitemap.xml",
        public_page("treatments", "side-effects", "pages", "glossary")(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
        distill_file="sitemap.xml",
    ),
    distill_path(
        "robots.txt", views.robots_txt, name="robots", distill_file="robots.txt"
    ),
    path("preview/<slug:kind>/<int:pk>/", views.draft_preview, name="draft-preview"),
    path("preview/shared/<str:token>/", views.shared_preview, name="shared-preview"),
]
