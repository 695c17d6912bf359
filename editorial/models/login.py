"""Failed admin sign-ins, counted for the login throttle (editorial.admin_site)."""

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone


class LoginFailureQuerySet(models.QuerySet):
    @transaction.atomic
    def attempt(self, keys, limit, seconds):
        """Count this attempt under each key; True while every count is within limit.

        Each count is one increment under a row lock, checked by its result (like
        Redis INCR), so of any number of concurrent attempts exactly `limit` reach
        the password check. The pause runs `seconds` from the first failure.
        """
        keys = sorted(keys)  # one lock order: concurrent attempts never deadlock
        self.bulk_create([LoginFailure(key=key) for key in keys], ignore_conflicts=True)
        started_after = timezone.now() - timedelta(seconds=seconds)
        allowed = True
        for row in self.select_for_update().filter(key__in=keys).order_by("key"):
            if row.first_at < started_after:
                row.count, row.first_at = 0, timezone.now()
            row.count += 1
            row.save(update_fields=["count", "first_at"])
            allowed = allowed and row.count <= limit
        return allowed

    def forgive(self, keys):
        self.filter(key__in=keys).delete()


class LoginFailure(models.Model):
    """Admin sign-in attempts that did not succeed (yet), counted per key.

    In the database, not the cache: the count holds while Redis is away, and a
    locked row makes each increment atomic on every server.
    """

    key = models.CharField(max_length=80, unique=True)
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(default=timezone.now)

    objects = LoginFailureQuerySet.as_manager()

    class Meta:
        db_table = "treatments_loginfailure"

    def __str__(self):
        return f"{self.key}: {self.count} since {self.first_at:%Y-%m-%d %H:%M:%S}"
