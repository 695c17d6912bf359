from django.urls import path

from . import views

app_name = "treatments"

urlpatterns = [
    path("", views.home, name="home"),
    path("treatments/<slug:slug>/", views.modality_detail, name="modality"),
    path("side-effects/", views.side_effect_list, name="side-effects"),
    path("side-effects/<slug:slug>/", views.side_effect_detail, name="side-effect"),
    path("medical-and-editorial-policy/", views.policy, name="policy"),
    path("preview/<slug:kind>/<int:pk>/", views.draft_preview, name="draft-preview"),
    path("preview/shared/<str:token>/", views.shared_preview, name="shared-preview"),
]
