from django.contrib import admin
from markdownx.admin import MarkdownxModelAdmin

from .models import Drug, Indication, Modality, Page, Procedure, Question, SideEffect, SiteSettings


class ProcedureInline(admin.StackedInline):
    model = Procedure
    extra = 0
    fields = ("name", "description", "indications", "order")
    filter_horizontal = ("indications",)


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1
    fields = ("text", "order")


@admin.register(Modality)
class ModalityAdmin(MarkdownxModelAdmin):
    list_display = ("title", "slug", "order", "specialty", "updated_at")
    list_editable = ("order",)
    list_filter = ("specialty", "indications__factor")
    search_fields = ("title", "summary", "body", "drugs__brand_name", "drugs__generic_name")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("indications", "drugs", "side_effects")
    inlines = (ProcedureInline, QuestionInline)
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "order", "specialty")}),
        ("Page text", {"fields": ("body",)}),
        ("Structured parts", {"fields": ("indications", "drugs", "side_effects")}),
    )


@admin.register(SideEffect)
class SideEffectAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "updated_at")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    list_display = ("brand_name", "generic_name", "how_given")
    search_fields = ("brand_name", "generic_name")
    prepopulated_fields = {"slug": ("generic_name",)}


@admin.register(Indication)
class IndicationAdmin(admin.ModelAdmin):
    list_display = ("label", "factor", "slug")
    list_filter = ("factor",)
    search_fields = ("label",)
    prepopulated_fields = {"slug": ("label",)}


@admin.register(Page)
class PageAdmin(MarkdownxModelAdmin):
    list_display = ("title", "slug", "updated_at")
    search_fields = ("title", "body")


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    list_display = ("site_name", "phone_number", "updated_at")

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
