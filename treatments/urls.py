from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_distill import distill_path

from netguide.page_cache import public_page

from . import views
from .models import SideEffect, Treatment, cache_kinds
from .sitemaps import sitemaps

app_name = "treatments"


def published_pages_of(model, route, view, name):
    """A page for each published record of `model`, also published as a file for
    each published slug in each language (netguide/static_site.py publishes each
    language's pages with that language active)."""
    return distill_path(
        route,
        view,
        name=name,
        distill_func=lambda: model.objects.published_in().published_slugs(),
    )


# distill_path: the page is also published as a file (netguide/static_site.py), rebuilt
# when content of a kind its @public_page names is approved. Pages that read the query
# string (explore, compare, my questions, search) stay with Django.
urlpatterns = [
    distill_path("", views.home, name="home"),
    published_pages_of(
        Treatment, _("treatments/<slug:slug>/"), views.treatment_detail, "treatment"
    ),
    distill_path(_("side-effects/"), views.side_effect_list, name="side-effects"),
    published_pages_of(
        SideEffect,
        _("side-effects/<slug:slug>/"),
        views.side_effect_detail,
        "side-effect",
    ),
    distill_path(_("medical-and-editorial-policy/"), views.policy, name="policy"),
    distill_path(_("privacy/"), views.privacy, name="privacy"),
    distill_path(_("about-this-guide/"), views.about, name="about"),
    path(_("explore/"), views.explore, name="explore"),
    path(_("compare/"), views.compare, name="compare"),
    distill_path(_("glossary/"), views.glossary, name="glossary"),
    path(_("my-questions/"), views.my_questions, name="my-questions"),
    path(_("my-questions/print/"), views.my_questions_print, name="my-questions-print"),
    path(_("my-summary/"), views.my_summary, name="my-summary"),
    path(_("search/"), views.search_view, name="search"),
    distill_path(
        "sitemap.xml",
        public_page(cache_kinds)(sitemap),
        {"sitemaps": sitemaps()},
        name="sitemap",
        distill_file="sitemap.xml",
    ),
    distill_path(
        "robots.txt", views.robots_txt, name="robots", distill_file="robots.txt"
    ),
]
