"""A summary for my appointment: what matters to me, where I am in deciding, and my
questions, beside the options that may fit.

Everything the patient marks lives in the page's address (a GET form): nothing is
stored on the server and no cookie is set, and the same address reopens it. It
never computes a "best option": what matters sits beside the options for the patient
and their care team to talk about.
"""

from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from editorial.evidence import without_marks

from .explore import SituationForm

LEVELS = [
    ("a-lot", _("A lot")),
    ("some", _("Some")),
    ("not-much", _("Not much")),
]
STAGES = [
    ("not-started", _("I have not started to think about it")),
    ("thinking", _("I am thinking about the options")),
    ("close", _("I am close to choosing")),
    ("decided", _("I have made my choice")),
]
DECIDE_WITH = [
    ("care-team", _("My care team")),
    ("family", _("My family")),
    ("friends", _("Friends")),
    ("alone", _("On my own")),
]
NO_LEAN = "none"
OWN_QUESTIONS_MAX = 1000
CHOICE_ERROR = {"invalid_choice": _("Please choose one of the answers shown.")}


def optional_choice(label, choices, many=False, error_messages=CHOICE_ERROR):
    """A question the patient may leave unanswered: one answer (radio buttons) or,
    with `many`, any number (checkboxes)."""
    field, widget = (
        (forms.MultipleChoiceField, forms.CheckboxSelectMultiple)
        if many
        else (forms.ChoiceField, forms.RadioSelect)
    )
    return field(
        label=label,
        choices=choices,
        required=False,
        widget=widget,
        error_messages=error_messages,
    )


class SummaryForm(forms.Form):
    """The options to talk about, what matters, where I am in deciding and my
    questions. Every field is optional; the explorer's answers ride along."""

    show = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, questions, pages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.pages = pages
        slugs_and_titles = [(p.content["slug"], p.content["title"]) for p in pages]
        self.fields["t"] = optional_choice(
            _("Options I want to talk about"),
            slugs_and_titles,
            many=True,
            error_messages={
                "invalid_choice": _("Some options in this link were not found.")
            },
        )
        for key, label in questions.matters:
            self.fields[f"m-{key}"] = optional_choice(label, LEVELS)
        self.fields["stage"] = optional_choice(
            _("How far along are you in deciding?"), STAGES
        )
        self.fields["with"] = optional_choice(
            _("Who do you want to decide with?"), DECIDE_WITH, many=True
        )
        self.fields["lean"] = optional_choice(
            _("Do you lean toward an option?"),
            [(NO_LEAN, _("Not yet, or I would rather not say"))] + slugs_and_titles,
        )
        self.fields["q"] = optional_choice(
            _("Questions to ask"),
            [
                (f"{page.content['slug']}:{n}", without_marks(question))
                for page in pages
                for n, question in enumerate(page.content["questions"], 1)
            ],
            many=True,
        )
        self.fields["own"] = forms.CharField(
            label=_("My own questions (one a line)"),
            required=False,
            max_length=OWN_QUESTIONS_MAX,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
        # The explorer's answers, carried so "what I told you" stays on the summary.
        self.situation = SituationForm(questions, self.data or None)

    def question_groups(self):
        """(option title, [(id, value, question, checked)]) for each option that
        has questions, in the guide's order."""
        ticked = set(self["q"].value() or [])
        return [
            (
                page.content["title"],
                [
                    (
                        f"q-{page.content['slug']}-{n}",
                        f"{page.content['slug']}:{n}",
                        without_marks(question),
                        f"{page.content['slug']}:{n}" in ticked,
                    )
                    for n, question in enumerate(page.content["questions"], 1)
                ],
            )
            for page in self.pages
            if page.content["questions"]
        ]

    def matter_fields(self):
        return [self[f"m-{key}"] for key, _label in self.questions.matters]

    def chosen_pages(self):
        """The options to talk about, in the guide's order."""
        chosen = set(self.cleaned_data.get("t") or [])
        return [page for page in self.pages if page.content["slug"] in chosen]

    def told(self):
        """What the patient told the explorer, when those answers are valid."""
        situation = self.situation
        if situation.is_bound and situation.is_valid() and situation.answers():
            return situation.summary()
        return []

    def situation_items(self):
        """The explorer's answers to carry in hidden fields."""
        if not (self.situation.is_bound and self.situation.is_valid()):
            return []
        return list(self.situation.answers().items())

    def matters_marked(self):
        """(label, how much) of each item the patient marked, in the list's order."""
        levels = dict(LEVELS)
        return [
            (label, levels[self.cleaned_data[f"m-{key}"]])
            for key, label in self.questions.matters
            if self.cleaned_data.get(f"m-{key}")
        ]

    def deciding(self):
        data = self.cleaned_data
        stage = dict(STAGES).get(data.get("stage"))
        with_whom = [label for value, label in DECIDE_WITH if value in data["with"]]
        titles = {p.content["slug"]: p.content["title"] for p in self.pages}
        lean = data.get("lean")
        return {
            "stage": stage,
            "with": with_whom,
            "lean": titles.get(lean),
            "no_lean": lean == NO_LEAN,
        }

    def questions_chosen(self):
        """(option title, [questions]) for the options whose questions were ticked,
        in the guide's order, then ("", [own questions])."""
        ticked = set(self.cleaned_data.get("q") or [])
        grouped = []
        for page in self.pages:
            slug = page.content["slug"]
            chosen = [
                without_marks(question)
                for n, question in enumerate(page.content["questions"], 1)
                if f"{slug}:{n}" in ticked
            ]
            if chosen:
                grouped.append((page.content["title"], chosen))
        own = [
            line.strip()
            for line in self.cleaned_data.get("own", "").splitlines()
            if line.strip()
        ]
        if own:
            grouped.append(("", own))
        return grouped

    def has_choices(self):
        """Whether the address holds anything the patient chose (then the page is
        theirs alone: no cache keeps it)."""
        return any(
            key != "show" and values != [""] for key, values in self.data.lists()
        )

    def appointment_query(self):
        """The address part the appointment link carries: the options, the ticked
        and own questions, and the explorer's answers (the request form offers each
        part separately; nothing is stored until the patient sends it)."""
        data = self.cleaned_data
        pairs = [("t", slug) for slug in data.get("t") or []]
        pairs += [("q", key) for key in data.get("q") or []]
        if data.get("own", "").strip():
            pairs.append(("own", data["own"]))
        pairs += self.situation_items()
        return urlencode(pairs)


# What a request form accepts from a summary link: the summary form's own limits,
# and a bound on what an edited address can make the server read.
SUMMARY_QUERY_MAX = 4000
OWN_QUESTIONS_LINES_MAX = 20
OWN_QUESTION_LINE_MAX = 300
TICKED_QUESTIONS_MAX = 100
SUMMARY_ERROR = _(
    "We could not add your summary to this request: the link is broken or too long. "
    "You can still send the request, or go back to your summary and try again."
)


class SummaryForAppointment:
    """What a summary link may add to an appointment request, in two parts the
    patient ticks separately: the option names and questions, and what they told
    the explorer about their tumor."""

    def __init__(self, options, questions, told):
        self.options = options  # option titles, in the guide's order
        self.questions = questions  # (option title or "", [questions])
        self.told = told  # the explorer's answers as read-back phrases

    def __bool__(self):
        return bool(self.options or self.questions or self.told)

    @classmethod
    def read(cls, query, situation_questions, pages):
        """From the address part a summary link carried; ValueError (with a message
        for the patient) when it is broken or oversized."""
        if len(query) > SUMMARY_QUERY_MAX:
            raise ValueError(SUMMARY_ERROR)
        data = QueryDict(query)
        own = data.get("own", "")
        own_lines = [line for line in own.splitlines() if line.strip()]
        if (
            len(data.getlist("q")) > TICKED_QUESTIONS_MAX
            or len(data.getlist("own")) > 1
            or len(own_lines) > OWN_QUESTIONS_LINES_MAX
            or any(len(line) > OWN_QUESTION_LINE_MAX for line in own_lines)
        ):
            raise ValueError(SUMMARY_ERROR)
        form = SummaryForm(situation_questions, pages, data)
        if not form.is_valid() or not form.situation.is_valid():
            raise ValueError(SUMMARY_ERROR)
        return cls(
            [page.content["title"] for page in form.chosen_pages()],
            form.questions_chosen(),
            form.told(),
        )

    def list_text(self):
        """The option names and questions, as the request keeps them."""
        lines = []
        if self.options:
            lines.append(
                format_lazy(
                    _("Options to talk about: {options}"),
                    options="; ".join(self.options),
                )
            )
        for title, questions in self.questions:
            lines.append(
                format_lazy(_("Questions about {title}:"), title=title)
                if title
                else _("My own questions:")
            )
            lines += [f"- {question}" for question in questions]
        return "\n".join(str(line) for line in lines)

    def told_text(self):
        return "; ".join(self.told) + "." if self.told else ""
