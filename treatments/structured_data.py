"""schema.org JSON-LD for public pages (MedicalWebPage, MedicalTherapy, Drug)."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language

from editorial.evidence import without_marks

CONDITION = {
    "@type": "MedicalCondition",
    "name": "Neuroendocrine tumor",
    "alternateName": "NET",
}


def canonical_url(request):
    """This page's address on the configured site, whatever host the request named."""
    return settings.SITE_URL.rstrip("/") + request.path


def medical_web_page(page, url, name, description):
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": name,
        "description": without_marks(description),
        "url": url,
        "inLanguage": get_language(),
        "about": CONDITION,
        "audience": {"@type": "Patient"},
    }
    if page is not None and not page.is_draft:
        # The same calendar days the page shows (in the site's time zone).
        data["dateModified"] = timezone.localdate(page.updated_at).isoformat()
        if page.reviewed_at:
            data["lastReviewed"] = timezone.localdate(page.reviewed_at).isoformat()
        if page.reviewer_byline:
            data["reviewedBy"] = {"@type": "Person", "name": page.reviewer_byline}
    return data


def treatment_page(page, url):
    content = page.content
    data = medical_web_page(page, url, content["title"], content["summary"])
    therapy = {
        "@type": "MedicalTherapy",
        "name": content["title"],
        "description": content["summary"],
    }
    if content["drugs"]:
        therapy["drug"] = [
            {
                "@type": "Drug",
                "name": drug["brand_name"],
                "proprietaryName": drug["brand_name"],
                "nonProprietaryName": drug["generic_name"],
            }
            for drug in content["drugs"]
        ]
    if content["side_effects"]:
        therapy["adverseOutcome"] = [
            {"@type": "MedicalEntity", "name": effect["name"]}
            for effect in content["side_effects"]
        ]
    data["mainEntity"] = therapy
    return data
