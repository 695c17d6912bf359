from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django_distill import distill_path

from netguide.page_cache import public_page

from . import views
from .models import SideEffect, Treatment
from .sitemaps import SITEMAPS

app_name = "treatments"

# distill_path: the page is also published as a file (netguide/static_site.py), rebuilt
# when content of a kind its @public_page names is approved. Pages that read the query
# string (explore, compare, my questions, search) stay with Django.
urlpatterns = [
    distill_path("", views.home, name="home"),
    distill_path(
        "treatments/<slug:slug>/",
        views.treatment_detail,
        name="treatment",
        distill_func=Treatment.objects.published_slugs,
    ),
    distill_path("side-effects/", views.side_effect_list, name="side-effects"),
    distill_path(
        "side-effects/<slug:slug>/",
        views.side_effect_detail,
        name="side-effect",
        distill_func=SideEffect.objects.published_slugs,
    ),
    distill_path("medical-and-editorial-policy/", views.policy, name="policy"),
    distill_path("privacy/", views.privacy, name="privacy"),
    path("explore/", views.explore, name="explore"),
    path("compare/", views.compare, name="compare"),
    distill_path("glossary/", views.glossary, name="glossary"),
    path("my-questions/", views.my_questions, name="my-questions"),
    path("my-questions/print/", views.my_questions_print, name="my-questions-print"),
    path("search/", views.search_view, name="search"),
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
