"""A few requests an hour from one address, counted in the database."""

import math

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from netguide.client import client_address

from .models import RequestCount

WINDOW_SECONDS = 3600


def throttle_key(request):
    # A keyed hash: without the secret key nobody can try every address to undo it.
    digest = salted_hmac(
        "netguide.appointments.throttle", client_address(request), algorithm="sha256"
    ).hexdigest()
    return "appointment-requests:" + digest


def take_slot(request):
    """Count this request and say whether it is within the limit.

    A count that cannot be taken (the database away) is an error, never a pass.
    """
    count = RequestCount.objects.take(throttle_key(request), WINDOW_SECONDS)
    return count.count <= settings.APPOINTMENT_REQUESTS_PER_HOUR


def give_back_slot(request):
    """The same form arrived twice at once: only one request was made."""
    RequestCount.objects.give_back(throttle_key(request))


def minutes_until_free(request):
    """Whole minutes until this address may send again; 60 when not known."""
    count = RequestCount.objects.filter(key=throttle_key(request)).first()
    if count is None:
        return WINDOW_SECONDS // 60
    left = count.first_at.timestamp() + WINDOW_SECONDS - timezone.now().timestamp()
    return min(WINDOW_SECONDS // 60, max(1, math.ceil(left / 60)))
