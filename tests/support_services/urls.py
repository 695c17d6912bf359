from treatments.urls import published_pages_of

from . import views
from .models import SupportService

app_name = "support_services"

urlpatterns = [
    published_pages_of(
        SupportService, "support-services/<slug:slug>/", views.service, "service"
    ),
]
