"""The site's languages (settings.LANGUAGES): which one is active, and how a
sentence names one."""

from django.conf import settings
from django.utils.translation import (
    get_language,
    get_language_info,
    get_supported_language_variant,
    pgettext_lazy,
)


def current_language():
    """The active language as one of settings.LANGUAGES ("en", "es")."""
    try:
        return get_supported_language_variant(get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


# How a sentence names a language ("the English version", "la versión en inglés").
LANGUAGE_IN_SENTENCE = {
    "en": pgettext_lazy("language name in a sentence", "English"),
    "es": pgettext_lazy("language name in a sentence", "Spanish"),
}


def language_in_sentence(code):
    return LANGUAGE_IN_SENTENCE.get(code) or get_language_info(code)["name_translated"]
