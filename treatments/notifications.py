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
    specialty = getattr(record, "review_specialty", "")
    matching = [
        user
        for user in reviewers
        if specialty
        and specialty
        in getattr(getattr(user, "reviewer_profile", None), "specialties", [])
    ]
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
