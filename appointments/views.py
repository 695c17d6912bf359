import re
import uuid
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from editorial.models import current_language
from treatments.models import SituationQuestions, Treatment
from treatments.summary import SummaryForAppointment

from .forms import AppointmentRequestForm
from .models import AppointmentRequest, Notification, team_zone, team_zone_name
from .tasks import send_team_email
from .throttle import give_back_slot, minutes_until_free, take_slot

TOKEN = re.compile(r"[0-9a-f]{32}")
SENT_COOKIE = "appointment_sent"


def treatment_from(request, choices):
    """The treatment page the patient came from, if the link said so."""
    try:
        match = resolve(request.GET.get("from", "") or "/-/")
    except Resolver404:
        match = None
    if match is not None and match.view_name == "treatments:treatment":
        slug = match.kwargs["slug"]
    else:
        slug = request.GET.get("treatment", "")
    return slug if slug in dict(choices) else ""


def summary_from(request):
    """The address part a summary page's link carried ("" when the patient did not
    come from their summary): read, never stored, until they send the request."""
    try:
        match = resolve(request.GET.get("from", "") or "/-/")
    except Resolver404:
        return ""
    if match.view_name != "treatments:my-summary":
        return ""
    query = request.GET.copy()
    for key in ("from", "new", "treatment"):
        query.pop(key, None)
    return query.urlencode()


def summary_reader(pages):
    def read(query):
        return SummaryForAppointment.read(query, SituationQuestions.public(), pages)

    return read


def sent_recently(request):
    """When this browser last sent a request, from the short-lived cookie; or None."""
    value = request.get_signed_cookie(
        SENT_COOKIE,
        default=None,
        salt=SENT_COOKIE,
        max_age=AppointmentRequest.SAME_REQUEST_WINDOW,
    )
    try:
        sent_at = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if sent_at and timezone.now() - sent_at < AppointmentRequest.SAME_REQUEST_WINDOW:
        return sent_at
    return None


def confirm(appointment_request, response):
    """The confirmation, remembered in this browser for Back: the time sent and no more."""
    response.set_signed_cookie(
        SENT_COOKIE,
        appointment_request.created_at.isoformat(),
        salt=SENT_COOKIE,
        max_age=AppointmentRequest.SAME_REQUEST_WINDOW,
        path=reverse("appointments:request"),
        secure=settings.CSRF_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


@never_cache
@csrf_protect
def request_appointment(request):
    pages = Treatment.objects.published_pages()
    choices = [(page.content["slug"], page.content["title"]) for page in pages]
    read_summary = summary_reader(pages)
    status = 200
    if request.method == "POST":
        token = request.POST.get("submission_token", "")
        if (
            TOKEN.fullmatch(token)
            and AppointmentRequest.objects.filter(submission_token=token).exists()
        ):
            return redirect("appointments:sent")  # a refresh or double submit
        form = AppointmentRequestForm(
            request.POST, treatments=choices, read_summary=read_summary
        )
        if form.is_bot():
            # Pretend nothing is wrong to the bot; nothing is saved.
            return render(request, "appointments/blocked.html", status=200)
        if form.is_valid():
            if earlier := form.earlier_copy():  # Back, then Send: the same request
                return confirm(earlier, redirect("appointments:sent"))
            # Only a request that would be saved counts against the limit.
            if not take_slot(request):
                context = {"minutes": minutes_until_free(request)}
                return render(request, "appointments/blocked.html", context, status=429)
            try:
                with transaction.atomic():
                    appointment_request = form.save(commit=False)
                    appointment_request.submission_token = form.cleaned_data[
                        "submission_token"
                    ]
                    appointment_request.site_language = current_language()
                    appointment_request.save()
                    if settings.APPOINTMENTS_NOTIFY_EMAIL:
                        # Queued with the request, in its transaction: the worker
                        # sends it, so the patient never waits for a mail server.
                        notification = Notification.objects.create(
                            request=appointment_request, next_try_at=timezone.now()
                        )
                        send_team_email.enqueue(notification.pk)
            except IntegrityError:
                give_back_slot(request)  # the same form arrived twice at once
                return redirect("appointments:sent")
            return confirm(appointment_request, redirect("appointments:sent"))
    else:
        sent_at = sent_recently(request)
        if sent_at and "new" not in request.GET:
            return render(
                request,
                "appointments/already_sent.html",
                {
                    "sent_at": sent_at,
                    "zone": team_zone(),
                    "zone_name": team_zone_name(),
                },
            )
        form = AppointmentRequestForm(
            treatments=choices,
            read_summary=read_summary,
            initial={
                "language": current_language(),
                "treatment": treatment_from(request, choices),
                "submission_token": uuid.uuid4().hex,
                "summary": summary_from(request),
            },
        )
        if form.summary_error:
            status = 400  # a broken or edited summary link; the form still works
    return render(
        request, "appointments/request_form.html", {"form": form}, status=status
    )


@never_cache
def request_sent(request):
    return render(request, "appointments/request_sent.html")
