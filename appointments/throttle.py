"""A few requests an hour from one address, counted in Django's cache."""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

from netguide.admin_site import client_address

logger = logging.getLogger("netguide.appointments")


def throttle_key(request):
    # A hash, so the cache holds no address in the clear.
    address = client_address(request).encode()
    return "appointment-requests:" + hashlib.sha256(address).hexdigest()


def over_limit(request):
    try:
        return (
            cache.get(throttle_key(request)) or 0
        ) >= settings.APPOINTMENT_REQUESTS_PER_HOUR
    except Exception:
        logger.warning("Appointment rate limit unavailable: cache error")
        return False


def count_request(request):
    key = throttle_key(request)
    try:
        cache.add(key, 0, 3600)
        cache.incr(key)
    except Exception:
        logger.warning("Appointment rate limit unavailable: cache error")
