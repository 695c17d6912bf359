from django.contrib import admin

from treatments.admin import ContentAdmin

from .models import SupportService


@admin.register(SupportService)
class SupportServiceAdmin(ContentAdmin):
    list_display = ("name", "slug")
    fieldsets = ((None, {"fields": ("name", "slug", "description")}),)
