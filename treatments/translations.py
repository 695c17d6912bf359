"""The same page in another language: records map through `translation_of`, other
pages through their translated URL patterns."""

from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import override

from editorial.models import current_language
from netguide.page_cache import remembered

from .models import Treatment


def treatment_slugs(language, other):
    """{published slug in `language`: published slug in `other`} for treatments,
    kept in the cache until a treatment is published."""

    def compute():
        by_source = {}
        for code in (language, other):
            for page in Treatment.objects.published_pages(code):
                source = page.record.public_source_id or page.record.pk
                by_source.setdefault(source, {})[code] = page.content["slug"]
        return {
            slugs[language]: slugs[other]
            for slugs in by_source.values()
            if language in slugs and other in slugs
        }

    return remembered(
        f"treatment-slugs:{language}:{other}", [Treatment.cache_kind], compute
    )


def address_in(request, page, language):
    """The path of this request's page in `language`, or None when it has none."""
    record = getattr(page, "record", None)
    if record is not None and hasattr(record, "translation_in"):
        counterpart = record.translation_in(language)
        if counterpart is None or counterpart.live_revision_id is None:
            return None
        return counterpart.get_absolute_url()
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    with override(language):
        try:
            path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        except Exception:
            return None
    chosen = request.GET.getlist("t")
    query = [(key, value) for key, value in request.GET.items() if key != "t"]
    if chosen:
        # compare and my-questions name treatments by their slug in each language
        slugs = treatment_slugs(current_language(), language)
        query += [("t", slugs[slug]) for slug in chosen if slug in slugs]
    return path + (f"?{urlencode(query)}" if query else "")
