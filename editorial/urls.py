from django.urls import path

from . import views

app_name = "editorial"

urlpatterns = [
    path("preview/<slug:kind>/<int:pk>/", views.draft_preview, name="draft-preview"),
    path("preview/shared/<str:token>/", views.shared_preview, name="shared-preview"),
]
