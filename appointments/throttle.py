"""A few requests an hour from one address, counted in Django's cache."""

import logging
import math

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

from netguide.client import client_address

logger = logging.getLogger("netguide.appointments")
WINDOW_SECONDS = 3600


def throttle_key(request):
    # A keyed hash: without the secret key nobody can try every address to undo it.
    digest = salted_hmac(
        "netguide.appointments.throttle", client_address(request), algorithm="sha256"
    ).hexdigest()
    return "appointment-requests:" + digest


def take_slot(request):
    """Count this request and say whether it is within the limit.

    One atomic increment, judged by its own result: requests arriving at once each get
    a different number, so no more than the limit get through.
    """
    key = throttle_key(request)
    try:
        for _ in range(2):
            if cache.add(key, 0, WINDOW_SECONDS):
                # When this hour's count began: the refused are told when to try again.
                cache.set(key + ":since", timezone.now().timestamp(), WINDOW_SECONDS)
            try:
                count = cache.incr(key)
                break
            except ValueError:  # the key expired between add and incr: again
                continue
        else:
            return True
    except Exception:
        logger.warning("Appointment rate limit unavailable: cache error")
        return True
    return count <= settings.APPOINTMENT_REQUESTS_PER_HOUR


def give_back_slot(request):
    """The same form arrived twice at once: only one request was made."""
    try:
        cache.decr(throttle_key(request))
    except Exception:
        pass


def minutes_until_free(request):
    """Whole minutes until this address may send again; 60 when not known."""
    try:
        since = cache.get(throttle_key(request) + ":since")
    except Exception:
        since = None
    if since is None:
        return WINDOW_SECONDS // 60
    left = since + WINDOW_SECONDS - timezone.now().timestamp()
    return min(WINDOW_SECONDS // 60, max(1, math.ceil(left / 60)))
