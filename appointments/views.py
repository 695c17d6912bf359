import re
import uuid

from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from treatments.models import Modality

from .forms import AppointmentRequestForm
from .models import AppointmentRequest, Notification
from .notifications import RedirectThenNotify
from .throttle import give_back_slot, over_limit, take_slot

TREATMENT_PATH = re.compile(r"^/treatments/([a-z0-9-]+)/$")
TOKEN = re.compile(r"[0-9a-f]{32}")


def treatment_choices():
    return [
        (page.content["slug"], page.content["title"])
        for page in Modality.objects.published_contents("order", "title")
    ]


def treatment_from(request, choices):
    """The treatment page the patient came from, if the link said so."""
    match = TREATMENT_PATH.match(request.GET.get("from", ""))
    slug = match.group(1) if match else request.GET.get("treatment", "")
    return slug if slug in dict(choices) else ""


@never_cache
@csrf_protect
def request_appointment(request):
    choices = treatment_choices()
    if request.method == "POST":
        token = request.POST.get("submission_token", "")
        if (
            TOKEN.fullmatch(token)
            and AppointmentRequest.objects.filter(submission_token=token).exists()
        ):
            return redirect("appointments:sent")  # a refresh or double submit
        if over_limit(request):
            return render(request, "appointments/blocked.html", status=429)
        form = AppointmentRequestForm(request.POST, treatments=choices)
        if form.is_bot():
            # Pretend nothing is wrong to the bot; nothing is saved.
            return render(request, "appointments/blocked.html", status=200)
        if form.is_valid():
            token = form.cleaned_data["submission_token"]
            if AppointmentRequest.objects.filter(submission_token=token).exists():
                return redirect("appointments:sent")
            if not take_slot(request):
                return render(request, "appointments/blocked.html", status=429)
            try:
                with transaction.atomic():
                    appointment_request = form.save(commit=False)
                    appointment_request.submission_token = token
                    appointment_request.save()
                    notification = Notification.objects.create(
                        request=appointment_request
                    )
            except IntegrityError:
                give_back_slot(request)  # the same form arrived twice at once
                return redirect("appointments:sent")
            return RedirectThenNotify(reverse("appointments:sent"), notification)
    else:
        form = AppointmentRequestForm(
            treatments=choices,
            initial={
                "treatment": treatment_from(request, choices),
                "submission_token": uuid.uuid4().hex,
            },
        )
    return render(request, "appointments/request_form.html", {"form": form})


@never_cache
def request_sent(request):
    return render(request, "appointments/request_sent.html")
