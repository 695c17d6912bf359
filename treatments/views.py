from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from editorial.models import current_language
from netguide.page_cache import public_page, remembered, set_last_modified

from .compare import CompareSelection
from .explore import SituationForm, match_treatments
from .models import (
    GlossaryTerm,
    Page,
    SideEffect,
    SiteSettings,
    SituationQuestions,
    Synonym,
    Treatment,
    cache_kinds,
)
from .search import query_words, search
from .summary import SummaryForm


def serve_published(request, page):
    """A published page; Last-Modified from what the patient reads."""
    return set_last_modified(
        page.record.serve(request, page), page.updated_at, page.reviewed_at
    )


@public_page(Treatment.cache_kind, Page.cache_kind, GlossaryTerm.cache_kind)
def home(request):
    try:
        overview = Page.objects.published_page("overview")
    except Http404:
        return render(request, Page.HOME_TEMPLATE, Page.home_context(request, None))
    return serve_published(request, overview)


@public_page(Treatment.cache_kind, GlossaryTerm.cache_kind)
def treatment_detail(request, slug):
    return serve_published(request, Treatment.objects.published_by_slug(slug))


def listing_dates(pages):
    """The newest change and review among the published items a list page shows."""
    return {
        "updated_at": max((p.updated_at for p in pages), default=None),
        "reviewed_at": max(
            (p.reviewed_at for p in pages if p.reviewed_at), default=None
        ),
    }


@public_page(SideEffect.cache_kind)
def side_effect_list(request):
    effects = SideEffect.objects.published_pages()
    return render(
        request,
        "treatments/side_effect_list.html",
        {"side_effects": effects, **listing_dates(effects)},
    )


@public_page(SideEffect.cache_kind, Treatment.cache_kind)
def side_effect_detail(request, slug):
    return serve_published(request, SideEffect.objects.published_by_slug(slug))


@public_page(
    SiteSettings.cache_kind, Treatment.cache_kind, SituationQuestions.cache_kind
)
def about(request):
    """About this guide: who makes and funds it, conflicts of interest, how it is
    kept up to date, when the decision aid was last reviewed, and its sources."""
    decision_aid = [
        *Treatment.objects.published_pages(),
        *SituationQuestions.objects.published_pages(),
    ]
    return render(
        request,
        "treatments/about.html",
        {
            "about": SiteSettings.public(),
            "review_interval_months": SiteSettings.load().review_interval_months,
            "decision_aid_reviewed_at": max(
                (p.reviewed_at for p in decision_aid if p.reviewed_at), default=None
            ),
            **listing_dates(decision_aid),
        },
    )


@public_page(Page.cache_kind)
def privacy(request):
    return serve_published(request, Page.objects.published_page("privacy"))


@public_page(Page.cache_kind)
def policy(request):
    return serve_published(request, Page.objects.published_page("policy"))


@public_page(GlossaryTerm.cache_kind)
def glossary(request):
    terms = GlossaryTerm.objects.published_pages()
    return render(
        request, "treatments/glossary.html", {"terms": terms, **listing_dates(terms)}
    )


def explorer_form(request):
    """The approved questions' form, bound only when the address holds answers or
    a submitted form."""
    questions = SituationQuestions.public()
    submitted = questions.submitted(request.GET)
    return SituationForm(questions, request.GET if submitted else None)


def explore_query(request):
    """The answers given, in question order: "" for the first visit, None (not
    cached) for a form with errors (no answer, an invalid or contradictory one).
    Read without building the form: it was most of a cache hit's time."""
    questions = SituationQuestions.public()
    if not questions.submitted(request.GET):
        return ""
    given = questions.answers_in(request.GET)
    if not given or questions.contradicted(given):
        return None
    return urlencode(given)


@public_page(Treatment.cache_kind, SituationQuestions.cache_kind, query=explore_query)
def explore(request):
    """Which treatments may fit a situation: a GET form, so the answer is a shareable URL."""
    form = explorer_form(request)
    pages = Treatment.objects.published_pages()
    context = {"form": form, "all_treatments": pages}
    if form.is_bound and form.is_valid():
        matches, also_ask = match_treatments(pages, form.answers(), form.questions)
        # The options the four links carry: those that fit, else all (as listed).
        offered = [match.page for match in matches] or pages
        context.update(
            answered=True,
            summary=form.summary(),
            matches=matches,
            also_ask=also_ask,
            options_query=urlencode([("t", page.content["slug"]) for page in offered]),
            answers_query=urlencode(list(form.answers().items())),
        )
    return render(request, "treatments/explore.html", context)


def published_treatment_order():
    """The published treatments' slugs in home-page order, kept in the cache on their
    own: the compare and question-list addresses are normalised against them on every
    request, cache hits included (reading the whole pages made a hit 0.5 ms, not 0.3)."""
    return remembered(
        f"treatment-order:{current_language()}",
        [Treatment.cache_kind],
        lambda: [page.content["slug"] for page in Treatment.objects.published_pages()],
    )


def compare_query(request):
    """The comparison's one address; odd ones get the page with a note, uncached."""
    requested = request.GET.getlist("t")
    slugs = CompareSelection.normalise(requested, published_treatment_order())
    if requested != slugs:
        return None
    return urlencode([("t", slug) for slug in slugs])


@public_page(Treatment.cache_kind, query=compare_query)
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


@public_page(Treatment.cache_kind, query=my_questions_query)
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


@public_page(Treatment.cache_kind, query=my_questions_query)
def my_questions_print(request):
    """The same list alone on the page, ready for the browser's Print or Share."""
    _, chosen = chosen_treatments(request)
    return render(request, "treatments/my_questions_print.html", {"chosen": chosen})


def summary_query(request):
    """Only the empty form is cached: anything in the address is one patient's own."""
    return "" if not request.GET else None


@public_page(Treatment.cache_kind, SituationQuestions.cache_kind, query=summary_query)
def my_summary(request):
    """What matters to me, where I am in deciding and my questions, and a one-page
    summary of them beside the options: all of it in the address, nothing stored."""
    pages = Treatment.objects.published_pages()
    form = SummaryForm(SituationQuestions.public(), pages, request.GET or None)
    context = {"form": form}
    if form.is_bound and form.is_valid():
        context.update(
            show=bool(form.cleaned_data["show"]),
            today=timezone.localdate(),
            chosen=form.chosen_pages(),
            told=form.told(),
            matters=form.matters_marked(),
            deciding=form.deciding(),
            asked=form.questions_chosen(),
        )
    response = render(request, "treatments/my_summary.html", context)
    response.page_is_private = form.is_bound
    return response


def search_words(request):
    """The search box's text with spaces collapsed, at most 200 characters."""
    return " ".join(request.GET.get("q", "").split())[:200]


def search_query(request):
    # Only spaces typed ("please type a word") is not the empty search form.
    if not request.GET.get("q"):
        return ""
    return urlencode({"q": search_words(request)})


@public_page(
    # Approved synonyms change what a query finds.
    lambda: (*cache_kinds(searched=True), Synonym.cache_kind),
    query=search_query,
    entries=settings.SEARCH_CACHE_ENTRIES,
)
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
