"""Short workflow emails: a link to the admin and no content."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

REVIEWERS_GROUP = "Medical reviewers"


def admin_link(record, view="review"):
    opts = record._meta
    return settings.SITE_URL + reverse(
        f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[record.pk]
    )


def reviewers_for(record):
    """Reviewers whose specialty the page needs; every reviewer when none matches."""
    reviewers = [
        user
        for user in get_user_model().objects.filter(
            groups__name=REVIEWERS_GROUP, is_active=True
        )
        if user.email
    ]
    matching = [user for user in reviewers if record.needs_specialty_of(user)]
    return matching or reviewers


def notify_submitted(record, submitter):
    recipients = [user.email for user in reviewers_for(record) if user != submitter]
    if recipients:
        send_mail(
            "NET Guide: a page is waiting for your medical review",
            f"A page was submitted for review.\n\nOpen the review screen: {admin_link(record)}\n",
            None,
            recipients,
        )


def notify_decision(record, revision, decision_label):
    users = get_user_model().objects.filter(pk__in=revision.contributor_ids)
    recipients = [user.email for user in users if user.email]
    if recipients:
        send_mail(
            f"NET Guide: review decision ({decision_label})",
            f"A reviewer made a decision on a page you edited: {decision_label}.\n\n"
            f"Open it in the admin: {admin_link(record, 'change')}\n",
            None,
            recipients,
        )


def notify_withdrawn(record, editor):
    """The reviewers told of a submission hear that it left review."""
    recipients = [user.email for user in reviewers_for(record) if user != editor]
    if recipients:
        send_mail(
            "NET Guide: a page was withdrawn from review",
            "A page you were asked to review was edited and is no longer waiting for "
            f"review. Nothing needs your sign-off until it is submitted again.\n\n"
            f"Open it in the admin: {admin_link(record, 'change')}\n",
            None,
            recipients,
        )


def notify_review_due(user, overdue, due_soon, within_days):
    """The daily reminder: how many pages need this reviewer's periodic review."""
    parts = []
    if overdue:
        parts.append(
            f"{overdue} published page{'s are' if overdue > 1 else ' is'} overdue"
        )
    if due_soon:
        parts.append(
            f"{due_soon} page{'s' if due_soon > 1 else ''} fall{'' if due_soon > 1 else 's'} "
            f"due within {within_days} days"
        )
    send_mail(
        "NET Guide: pages are due for medical review",
        f"{' and '.join(parts).capitalize()}. A reviewer confirms each one is still "
        "accurate, or asks for changes.\n\n"
        f"Open the editorial desk: {settings.SITE_URL}{reverse('admin:review-dashboard')}\n",
        None,
        [user.email],
    )
