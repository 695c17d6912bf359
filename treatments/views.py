from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from netguide.page_cache import public_page, remembered, set_last_modified

from .compare import CompareSelection
from .explore import QUESTIONS, SituationForm, match_treatments
from .models import GlossaryTerm, Page, SideEffect, Treatment, current_language
from .publishing import PublishedContent
from .review import reviewable_models
from .search import query_words, search
from .sharing import load_preview_token


def serve_published(request, page):
    """A published page; Last-Modified from what the patient reads."""
    return set_last_modified(
        page.record.serve(request, page), page.updated_at, page.reviewed_at
    )


@public_page("treatments", "pages", "glossary")
def home(request):
    try:
        overview = Page.objects.published_page("overview")
    except Http404:
        return render(request, Page.HOME_TEMPLATE, Page.home_context(request, None))
    return serve_published(request, overview)


@public_page("treatments", "glossary")
def treatment_detail(request, slug):
    return serve_published(
        request, Treatment.objects.in_language().published_by_slug(slug)
    )


def listing_dates(pages):
    """The newest change and review among the published items a list page shows."""
    return {
        "updated_at": max((p.updated_at for p in pages), default=None),
        "reviewed_at": max(
            (p.reviewed_at for p in pages if p.reviewed_at), default=None
        ),
    }


@public_page("side-effects")
def side_effect_list(request):
    effects = SideEffect.objects.published_pages()
    return render(
        request,
        "treatments/side_effect_list.html",
        {"side_effects": effects, **listing_dates(effects)},
    )


@public_page("side-effects", "treatments")
def side_effect_detail(request, slug):
    return serve_published(
        request, SideEffect.objects.in_language().published_by_slug(slug)
    )


@public_page("pages")
def privacy(request):
    return serve_published(request, Page.objects.published_page("privacy"))


@public_page("pages")
def policy(request):
    return serve_published(request, Page.objects.published_page("policy"))


@require_GET
@staff_member_required
def draft_preview(request, kind, pk):
    """Staff see the latest draft exactly as the public page, marked as not reviewed."""
    model = next((m for m in reviewable_models() if m.preview_kind == kind), None)
    if model is None:
        raise Http404("Unknown kind of content")
    record = get_object_or_404(model, pk=pk)
    opts = model._meta
    if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        raise Http404("No such content")
    page = record.draft_content()
    return record.serve(request, page)


@require_GET
def shared_preview(request, token):
    """A read-only preview of one revision for an outside clinician; the link expires."""
    try:
        revision = load_preview_token(token)
    except signing.SignatureExpired:
        return render(request, "treatments/preview_expired.html", status=410)
    except (signing.BadSignature, ObjectDoesNotExist, KeyError, TypeError):
        raise Http404("This preview link is not valid") from None
    record = revision.content_object
    if record is None:
        raise Http404("This content no longer exists")
    page = PublishedContent(
        record, revision, is_draft=revision.pk != record.live_revision_id
    )
    response = record.serve(request, page)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public_page("glossary")
def glossary(request):
    terms = GlossaryTerm.objects.published_pages()
    return render(
        request, "treatments/glossary.html", {"terms": terms, **listing_dates(terms)}
    )


def explorer_form(request):
    """The form, bound only when the address holds answers or a submitted form."""
    submitted = any(name in request.GET for name in ("show", *QUESTIONS))
    return SituationForm(request.GET if submitted else None)


def explore_query(request):
    """The answers given, in question order: "" for the first visit, None (not
    cached) for a form with errors (no answer, an invalid or contradictory one)."""
    form = explorer_form(request)
    if not form.is_bound:
        return ""
    if not form.is_valid():
        return None
    return urlencode(list(form.answers().items()))


@public_page("treatments", query=explore_query)
def explore(request):
    """Which treatments may fit a situation: a GET form, so the answer is a shareable URL."""
    form = explorer_form(request)
    pages = Treatment.objects.published_pages()
    context = {"form": form, "all_treatments": pages}
    if form.is_bound and form.is_valid():
        matches, also_ask = match_treatments(pages, form.answers())
        context.update(
            answered=True,
            summary=form.summary(),
            matches=matches,
            also_ask=also_ask,
            offered_slugs=[m.page.content["slug"] for m in matches],
        )
    return render(request, "treatments/explore.html", context)


def published_treatment_order():
    """The published treatments' slugs in home-page order, kept in the cache on their
    own: the compare and question-list addresses are normalised against them on every
    request, cache hits included (reading the whole pages made a hit 0.5 ms, not 0.3)."""
    return remembered(
        f"treatment-order:{current_language()}",
        ["treatments"],
        lambda: [page.content["slug"] for page in Treatment.objects.published_pages()],
    )


def compare_query(request):
    """The comparison's one address; odd ones get the page with a note, uncached."""
    requested = request.GET.getlist("t")
    slugs = CompareSelection.normalise(requested, published_treatment_order())
    if requested != slugs:
        return None
    return urlencode([("t", slug) for slug in slugs])


@public_page("treatments", query=compare_query)
def compare(request):
    """2 to 4 treatments side by side; the address is normalised to known slugs."""
    pages = Treatment.objects.published_pages()
    selection = CompareSelection.from_query(request.GET.getlist("t"), pages)
    return render(
        request,
        "treatments/compare.html",
        {"selection": selection, "all_treatments": pages},
    )


def chosen_treatment_slugs(request):
    """The `t` values that are published treatments: sorted, each once."""
    return sorted(set(request.GET.getlist("t")) & set(published_treatment_order()))


def my_questions_query(request):
    return urlencode([("t", slug) for slug in chosen_treatment_slugs(request)])


def chosen_treatments(request):
    """All published treatments, and those the address picks (?t=…), in home order."""
    pages = Treatment.objects.published_pages()
    wanted = set(chosen_treatment_slugs(request))
    return pages, [page for page in pages if page.content["slug"] in wanted]


@public_page("treatments", query=my_questions_query)
def my_questions(request):
    """A printable list of questions for the treatments a patient ticks (kept in the URL)."""
    pages, chosen = chosen_treatments(request)
    return render(
        request,
        "treatments/my_questions.html",
        {
            "all_treatments": pages,
            "chosen": chosen,
            "chosen_slugs": {p.content["slug"] for p in chosen},
        },
    )


@public_page("treatments", query=my_questions_query)
def my_questions_print(request):
    """The same list alone on the page, ready for the browser's Print or Share."""
    _, chosen = chosen_treatments(request)
    return render(request, "treatments/my_questions_print.html", {"chosen": chosen})


def search_words(request):
    """The search box's text with spaces collapsed, at most 200 characters."""
    return " ".join(request.GET.get("q", "").split())[:200]


def search_query(request):
    # Only spaces typed ("please type a word") is not the empty search form.
    if not request.GET.get("q"):
        return ""
    return urlencode({"q": search_words(request)})


@public_page("treatments", "side-effects", "pages", "glossary", query=search_query)
def search_view(request):
    query = search_words(request)
    words = query_words(query)
    results = search(query) if words else []
    response = render(
        request,
        "treatments/search.html",
        {
            "query": query,
            "typed": bool(request.GET.get("q")),
            "has_words": bool(words),
            "results": results,
        },
    )
    # Made-up words find nothing: they get no cache entry of their own.
    response.page_cache_skip = bool(words) and not results
    return response


@public_page()
def robots_txt(request):
    sitemap_url = settings.SITE_URL.rstrip("/") + reverse("treatments:sitemap")
    return render(
        request, "robots.txt", {"sitemap_url": sitemap_url}, content_type="text/plain"
    )
