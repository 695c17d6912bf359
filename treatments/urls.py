from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.utils.translation import gettext_lazy as _

from netguide.page_cache import public_page

from . import views
from .sitemaps import SITEMAPS

app_name = "treatments"

urlpatterns = [
    path("", views.home, name="home"),
    path(_("treatments/<slug:slug>/"), views.treatment_detail, name="treatment"),
    path(_("side-effects/"), views.side_effect_list, name="side-effects"),
    path(_("side-effects/<slug:slug>/"), views.side_effect_detail, name="side-effect"),
    path(_("medical-and-editorial-policy/"), views.policy, name="policy"),
    path(_("privacy/"), views.privacy, name="privacy"),
    path(_("explore/"), views.explore, name="explore"),
    path(_("compare/"), views.compare, name="compare"),
    path(_("glossary/"), views.glossary, name="glossary"),
    path(_("my-questions/"), views.my_questions, name="my-questions"),
    path(_("my-questions/print/"), views.my_questions_print, name="my-questions-print"),
    path(_("search/"), views.search_view, name="search"),
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
