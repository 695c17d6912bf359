from django.http import Http404
from django.shortcuts import render

from .models import Factor, Modality, Page, SideEffect


def published_or_404(queryset, slug):
    record = queryset.published().filter(slug=slug).first()
    if record is None:
        raise Http404("No such page")
    return record


def home(request):
    overview = Page.objects.published().filter(slug="overview").first()
    modalities = [m.published_content() for m in Modality.objects.published().with_parts()]
    return render(
        request,
        "treatments/home.html",
        {
            "overview": overview.published_content() if overview else None,
            "modalities": modalities,
        },
    )


def modality_detail(request, slug):
    modalities = list(Modality.objects.published().with_parts())
    slugs = [m.slug for m in modalities]
    if slug not in slugs:
        raise Http404("No such treatment")
    index = slugs.index(slug)
    page = modalities[index].published_content()
    return render(
        request,
        "treatments/modality_page.html",
        {
            "page": page,
            "factor_labels": dict(Factor.choices),
            "previous": modalities[index - 1].published_content() if index > 0 else None,
            "next": modalities[index + 1].published_content() if index + 1 < len(modalities) else None,
        },
    )


def side_effect_list(request):
    effects = [effect.published_content() for effect in SideEffect.objects.published()]
    return render(request, "treatments/side_effect_list.html", {"side_effects": effects})


def side_effect_detail(request, slug):
    effect = published_or_404(SideEffect.objects, slug)
    treatments = [
        m.published_content()
        for m in Modality.objects.published().with_parts()
        if any(item["slug"] == slug for item in m.published_content()["side_effects"])
    ]
    return render(
        request,
        "treatments/side_effect_page.html",
        {"page": effect.published_content(), "treatments": treatments},
    )


def policy(request):
    page = published_or_404(Page.objects, "policy")
    return render(request, "treatments/policy_page.html", {"page": page.published_content()})
