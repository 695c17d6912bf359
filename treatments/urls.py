from django.contrib.sitemaps.views import sitemap
from django.urls import path

from netguide.page_cache import public_page

from . import views
from .sitemaps import SITEMAPS

app_name = "treatments"

urlpatterns = [
    path("", views.home, name="home"),
    path("treatments/<slug:slug>/", views.treatment_detail, name="treatment"),
    path("side-effects/", views.side_effect_list, name="side-effects"),
    path("side-effects/<slug:slug>/", views.side_effect_detail, name="side-effect"),
    path("medical-and-editorial-policy/", views.policy, name="policy"),
    path("privacy/", views.privacy, name="privacy"),
    path("explore/", views.explore, name="explore"),
    path("compare/", views.compare, name="compare"),
    path("glossary/", views.glossary, name="glossary"),
    path("my-questions/", views.my_questions, name="my-questions"),
    path("my-questions/print/", views.my_questions_print, name="my-questions-print"),
    path("search/", views.search_view, name="search"),
    path(
        "sitemap.xml",
        public_page("treatments", "side-effects", "pages", "glossary")(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    path("preview/<slug:kind>/<int:pk>/", views.draft_preview, name="draft-preview"),
    path("preview/shared/<str:token>/", views.shared_preview, name="shared-preview"),
]
