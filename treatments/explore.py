"""The "find the options that may fit my situation" form, and how it reads fit rules.

The questions are the form's own. Which answers make a treatment fit, and what it
tells the patient about it, are fit rules written in content/ and approved by a
medical reviewer with the page: this module only checks answers against them.
"""

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

NOT_SURE = "not-sure"


@dataclass(frozen=True)
class Answer:
    value: str
    label: str
    # How the answer reads back to the patient: "You said <said>."
    said: str


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    answers: tuple

    def answer(self, value):
        return next((a for a in self.answers if a.value == value), None)


QUESTIONS = {
    question.name: question
    for question in (
        Question(
            "origin",
            _("Where did the tumor start?"),
            (
                Answer(
                    "gi",
                    _("In the digestive (GI) tract"),
                    _("it started in the digestive (GI) tract"),
                ),
                Answer(
                    "elsewhere", _("Somewhere else"), _("it started somewhere else")
                ),
                Answer(
                    NOT_SURE, _("I am not sure"), _("you are not sure where it started")
                ),
            ),
        ),
        Question(
            "grade",
            _("How fast is it growing?"),
            (
                Answer(
                    "low", _("Slowly (low grade)"), _("it grows slowly (low grade)")
                ),
                Answer(
                    "faster",
                    _("Faster (higher grade)"),
                    _("it grows faster (higher grade)"),
                ),
                Answer(
                    NOT_SURE,
                    _("I am not sure"),
                    _("you are not sure how fast it grows"),
                ),
            ),
        ),
        Question(
            "hormones",
            _("Does it make hormones that cause symptoms?"),
            (
                Answer(
                    "yes",
                    _("Yes, it causes symptoms"),
                    _("it makes hormones that cause symptoms"),
                ),
                Answer(
                    "no", _("No"), _("it does not make hormones that cause symptoms")
                ),
                Answer(
                    NOT_SURE,
                    _("I am not sure"),
                    _("you are not sure if it makes hormones that cause symptoms"),
                ),
            ),
        ),
        Question(
            "extent",
            _("Has it spread?"),
            (
                Answer(
                    "localized",
                    _("No, it has stayed where it started"),
                    _("it has not spread"),
                ),
                Answer("spread", _("Yes, it has spread"), _("it has spread")),
                Answer(
                    NOT_SURE, _("I am not sure"), _("you are not sure if it has spread")
                ),
            ),
        ),
        Question(
            "liver",
            _("Has it spread to the liver?"),
            (
                Answer("yes", _("Yes"), _("it has spread to the liver")),
                Answer("no", _("No"), _("it has not spread to the liver")),
                Answer(
                    NOT_SURE,
                    _("I am not sure"),
                    _("you are not sure if it has spread to the liver"),
                ),
            ),
        ),
        Question(
            "surgery",
            _(
                "Has your care team said surgery would be hard, or could not take out all of the tumor?"
            ),
            (
                Answer(
                    "yes",
                    _("Yes"),
                    _(
                        "your care team said surgery would be hard, or could not take out all of the tumor"
                    ),
                ),
                Answer(
                    "no",
                    _("No"),
                    _("your care team has not said that surgery would be hard"),
                ),
                Answer(
                    NOT_SURE,
                    _("I am not sure"),
                    _("you are not sure what your care team said about surgery"),
                ),
            ),
        ),
    )
}

# Pairs of answers that cannot both be true: the patient is asked to check them.
CONTRADICTIONS = [
    (("extent", "localized"), ("liver", "yes")),
]


def validate_fit_rules(rules):
    """Check fit rules as content states them; raise ValueError naming the problem.

    A rule is {"when": ["question=answer", ...], "unless": [...], "reason": "..."}:
    it applies when every "when" answer was given and no "unless" answer was.
    """
    if not isinstance(rules, list):
        raise ValueError("fit rules must be a list")
    for n, rule in enumerate(rules, 1):
        where = f"fit rule {n}"
        if not isinstance(rule, dict):
            raise ValueError(f"{where} must be a table with 'when' and 'reason'")
        unknown = set(rule) - {"when", "unless", "reason"}
        if unknown:
            raise ValueError(
                f"{where} has unknown field(s): {', '.join(sorted(unknown))}"
            )
        reason = rule.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{where} needs a 'reason' in plain words")
        when = rule.get("when")
        if not isinstance(when, list) or not when:
            raise ValueError(f"{where} needs at least one answer in 'when'")
        for key in ("when", "unless"):
            answers = rule.get(key, [])
            if not isinstance(answers, list):
                raise ValueError(f"{where}: '{key}' must be a list")
            for item in answers:
                check_answer_reference(
                    item, where if key == "when" else f"{where}, unless"
                )
        if len({item.split("=")[0] for item in when}) != len(when):
            raise ValueError(f"{where}: 'when' names one question twice")


def fit_rules_as_text(rules):
    """Fit rules as editors write them, one a line:
    "extent=spread and hormones=yes unless grade=faster: the reason"."""
    lines = []
    for rule in rules:
        condition = " and ".join(rule["when"])
        if rule.get("unless"):
            condition += " unless " + " or ".join(rule["unless"])
        lines.append(f"{condition}: {rule['reason']}")
    return "\n".join(lines)


def fit_rules_from_text(text):
    """The editors' lines back as rules; raise ValueError naming the line at fault."""
    rules = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        condition, colon, reason = line.partition(":")
        if not colon:
            raise ValueError(
                f"line {n} needs a colon between the answers and the reason, "
                "e.g. “grade=low: Active surveillance may be a choice…”"
            )
        when, _, unless = condition.partition(" unless ")
        rules.append(
            {
                "when": [part.strip() for part in when.split(" and ") if part.strip()],
                "unless": [
                    part.strip() for part in unless.split(" or ") if part.strip()
                ],
                "reason": reason.strip(),
            }
        )
        try:
            validate_fit_rules(rules[-1:])
        except ValueError as error:
            raise ValueError(str(error).replace("fit rule 1", f"line {n}", 1)) from None
    return rules


def answer_references():
    """Every answer a fit rule may name, for the editors' help text."""
    return [
        f"{name}={answer.value}"
        for name, question in QUESTIONS.items()
        for answer in question.answers
        if answer.value != NOT_SURE
    ]


def check_answer_reference(item, where):
    """An answer reference is "question=answer", both known, "not sure" excluded."""
    if not isinstance(item, str) or "=" not in item:
        raise ValueError(f"{where} entries look like 'extent=spread', not {item!r}")
    name, _, value = item.partition("=")
    question = QUESTIONS.get(name)
    if question is None:
        raise ValueError(
            f"{where}: unknown question '{name}' (use one of: {', '.join(QUESTIONS)})"
        )
    if value == NOT_SURE or question.answer(value) is None:
        values = ", ".join(a.value for a in question.answers if a.value != NOT_SURE)
        raise ValueError(
            f"{where}: '{value}' is not an answer to '{name}' (use one of: {values})"
        )


class SituationForm(forms.Form):
    """The six questions. "show" marks a submitted form, so an empty one is noticed."""

    show = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, question in QUESTIONS.items():
            self.fields[name] = forms.ChoiceField(
                label=question.label,
                choices=[(a.value, a.label) for a in question.answers],
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": _("Please choose one of the answers shown.")
                },
            )

    def question_fields(self):
        return [self[name] for name in QUESTIONS]

    def clean(self):
        cleaned = super().clean()
        given = self.given_answers(cleaned)
        if self.is_bound and not given and not self.errors:
            raise forms.ValidationError(
                _(
                    "Please answer at least one question. You can skip any you are "
                    "not sure about."
                ),
                code="empty",
            )
        for first, second in CONTRADICTIONS:
            if first in given and second in given:
                message = gettext(
                    "You said %(first)s, and also that %(second)s. "
                    "Please check these two answers."
                ) % {"first": self.said(first), "second": self.said(second)}
                self.add_error(first[0], message)
                self.add_error(second[0], message)
        return cleaned

    @staticmethod
    def given_answers(cleaned):
        """The (question, answer) pairs the patient chose, in question order."""
        return [(name, cleaned[name]) for name in QUESTIONS if cleaned.get(name)]

    @staticmethod
    def said(pair):
        name, value = pair
        return QUESTIONS[name].answer(value).said

    def answers(self):
        """{question: answer} of a valid form, unanswered questions left out."""
        return dict(self.given_answers(self.cleaned_data))

    def summary(self):
        """What the patient told us, one phrase per answer."""
        return [self.said(pair) for pair in self.given_answers(self.cleaned_data)]


@dataclass
class Reason:
    """What a matching fit rule tells, and the answers it rests on."""

    said: list
    text: str


def matching_reasons(rules, answers):
    """The reasons of every rule these answers satisfy; rules that tell the same
    thing are shown once, resting on all of their answers."""
    by_text = {}
    for rule in rules:
        when = [item.partition("=")[::2] for item in rule["when"]]
        unless = [item.partition("=")[::2] for item in rule.get("unless", [])]
        if all(answers.get(name) == value for name, value in when) and not any(
            answers.get(name) == value for name, value in unless
        ):
            reason = by_text.setdefault(rule["reason"], Reason([], rule["reason"]))
            for name, value in when:
                said = QUESTIONS[name].answer(value).said
                if said not in reason.said:
                    reason.said.append(said)
    return list(by_text.values())


@dataclass
class Match:
    page: object
    reasons: list = field(default_factory=list)
    # (procedure name, its reasons) for each procedure under the treatment that fits.
    procedures: list = field(default_factory=list)

    @property
    def strength(self):
        return len(self.reasons) + sum(len(r) for _, r in self.procedures)


def match_treatments(pages, answers):
    """Split published treatment pages into (matches, also worth asking about).

    A treatment matches when one of its own fit rules or one of its procedures'
    applies; the best match (most reasons) comes first. Treatments whose page says
    they are worth asking about for everyone are listed apart when they do not match.
    """
    matches, also_ask = [], []
    for page in pages:
        content = page.content
        match = Match(
            page,
            matching_reasons(content.get("fits", []), answers),
            [
                (procedure["name"], reasons)
                for procedure in content.get("procedures", [])
                if (reasons := matching_reasons(procedure.get("fits", []), answers))
            ],
        )
        if match.strength:
            matches.append(match)
        elif content.get("also_ask"):
            also_ask.append(page)
    matches.sort(key=lambda m: (-m.strength, m.page.content["order"]))
    return matches, also_ask
