"""The "find the options that may fit my situation" form and its matching."""

from dataclasses import dataclass, field

from django import forms

NOT_SURE = "not-sure"

QUESTIONS = {
    "origin": (
        "Where did the tumor start?",
        [
            ("gi", "In the digestive (GI) tract"),
            ("elsewhere", "Somewhere else"),
            (NOT_SURE, "I am not sure"),
        ],
    ),
    "grade": (
        "How fast is it growing?",
        [
            ("low", "Slowly (low grade)"),
            ("faster", "Faster (higher grade)"),
            (NOT_SURE, "I am not sure"),
        ],
    ),
    "hormones": (
        "Does it make hormones that cause symptoms?",
        [("yes", "Yes, it causes symptoms"), ("no", "No"), (NOT_SURE, "I am not sure")],
    ),
    "extent": (
        "Has it spread?",
        [
            ("localized", "No, it has stayed where it started"),
            ("spread", "Yes, it has spread"),
            (NOT_SURE, "I am not sure"),
        ],
    ),
    "liver": (
        "Has it spread to the liver?",
        [("yes", "Yes"), ("no", "No"), (NOT_SURE, "I am not sure")],
    ),
    "surgery": (
        "Has your care team said surgery would be hard, or the tumor cannot all be removed?",
        [("yes", "Yes"), ("no", "No"), (NOT_SURE, "I am not sure")],
    ),
}

# Which "when it may be used" records a set of answers points to: a rule applies
# when every answer it names was given.
RULES = [
    ({"origin": "gi"}, ["gastrointestinal"]),
    ({"grade": "low"}, ["low-grade"]),
    ({"hormones": "yes"}, ["makes-hormones", "causes-symptoms"]),
    ({"extent": "localized"}, ["localized"]),
    ({"extent": "spread"}, ["spread"]),
    ({"liver": "yes"}, ["liver-spread", "spread"]),
    ({"extent": "spread", "hormones": "yes"}, ["advanced-symptoms"]),
    ({"liver": "yes", "hormones": "yes"}, ["advanced-symptoms"]),
    ({"surgery": "yes"}, ["hard-to-operate", "cannot-remove"]),
]
FOR_EVERYONE = {"any-net", "certain-types"}


class SituationForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (label, choices) in QUESTIONS.items():
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": "Please choose one of the answers shown."
                },
            )

    def indication_slugs(self):
        slugs = set()
        for conditions, indications in RULES:
            if all(
                self.cleaned_data.get(name) == value
                for name, value in conditions.items()
            ):
                slugs.update(indications)
        return slugs

    def answered(self):
        return any(self.cleaned_data.get(name) for name in QUESTIONS)


@dataclass
class Match:
    page: object
    reasons: list = field(default_factory=list)
    procedures: list = field(default_factory=list)


def match_treatments(pages, indication_slugs):
    """Split published treatment pages into (matches, for everyone), best match first."""
    matches, for_everyone = [], []
    for page in pages:
        content = page.content
        own = [i for i in content["indications"] if i["slug"] in indication_slugs]
        procedures = [
            p["name"]
            for p in content["procedures"]
            if set(p["indications"]) & indication_slugs
        ]
        if own or procedures:
            matches.append(Match(page, [i["label"] for i in own], procedures))
        elif {i["slug"] for i in content["indications"]} & FOR_EVERYONE:
            reasons = [
                i["label"] for i in content["indications"] if i["slug"] in FOR_EVERYONE
            ]
            for_everyone.append(Match(page, reasons))
    matches.sort(
        key=lambda m: (-(len(m.reasons) + len(m.procedures)), m.page.content["order"])
    )
    return matches, for_everyone
