"""The "find the options that may fit my situation" form, and how it reads fit rules.

Nothing here is medicine. The questions, their answers, how an answer reads back
("You said …"), their help text and which answers contradict are reviewed content
(content/questions.toml, the `SituationQuestions` type); which answers make a
treatment fit, and what it tells the patient about it, are fit rules written with
each treatment. This module turns approved questions into a form and checks answers
against the rules.
"""

from dataclasses import dataclass, field

from django import forms
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.evidence import without_marks

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
    help: str = ""

    def answer(self, value):
        return next((a for a in self.answers if a.value == value), None)


@dataclass(frozen=True)
class QuestionSet:
    """Approved questions, as the explorer asks them: {name: Question}, and the
    pairs of answers that cannot both be true (the patient is asked to check them)."""

    questions: dict = field(default_factory=dict)
    contradictions: tuple = ()
    # What may matter to a patient as they decide ("What matters to me"): (key, label).
    matters: tuple = ()

    @classmethod
    def from_content(cls, content):
        """From a SituationQuestions snapshot; evidence marks never reach patients."""
        if not content:
            return cls()
        questions = {
            item["name"]: Question(
                item["name"],
                without_marks(item["label"]),
                tuple(
                    Answer(
                        answer["value"],
                        without_marks(answer["label"]),
                        without_marks(answer["said"]),
                    )
                    for answer in item["answers"]
                ),
                without_marks(item.get("help", "")),
            )
            for item in content.get("questions", [])
        }
        contradictions = tuple(
            tuple(tuple(ref.split("=", 1)) for ref in pair["answers"])
            for pair in content.get("contradictions", [])
        )
        matters = tuple(
            (item["key"], without_marks(item["label"]))
            for item in content.get("matters", [])
        )
        return cls(questions, contradictions, matters)

    def __bool__(self):
        return bool(self.questions)

    def submitted(self, data):
        """Whether an address (or submitted form) holds answers to check."""
        return any(name in data for name in ("show", *self.questions))

    def answers_in(self, data):
        """The (question, answer) pairs chosen in `data`, in question order, when
        each is one of its question's answers; else None. As the form reads them:
        an empty value is no answer, and of repeated values the last counts."""
        given = []
        for name, question in self.questions.items():
            value = data.get(name)
            if not value:
                continue
            if question.answer(value) is None:
                return None
            given.append((name, value))
        return given

    def contradicted(self, given):
        """The pairs of answers that cannot both be true, among the `given` pairs."""
        return [
            (first, second)
            for first, second in self.contradictions
            if first in given and second in given
        ]

    def said(self, name, value):
        question = self.questions.get(name)
        answer = question.answer(value) if question else None
        return answer.said if answer else f"{name}={value}"

    def answer_references(self):
        """Every answer a fit rule may name, for the editors' help text."""
        return [
            f"{name}={answer.value}"
            for name, question in self.questions.items()
            for answer in question.answers
            if answer.value != NOT_SURE
        ]


QUESTION_KEYS = {"name", "label", "help", "answers"}
ANSWER_KEYS = {"value", "label", "said"}


def validate_matters(matters):
    """The "what matters to me" items: each a plain key and a label, keys once."""
    if not isinstance(matters, list):
        raise ValueError("'matters' must be a list of [[matters]] tables")
    keys = set()
    for n, item in enumerate(matters, 1):
        where = f"what matters {n}"
        if not isinstance(item, dict) or set(item) != {"key", "label"}:
            raise ValueError(f"{where} has exactly 'key' and 'label'")
        key, label = item["key"], item["label"]
        if not isinstance(key, str) or not key.replace("-", "").isalnum():
            raise ValueError(f"{where} needs a 'key' of letters, digits and dashes")
        if key in keys:
            raise ValueError(f"{where}: the key '{key}' is used twice")
        keys.add(key)
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{where} needs a 'label' in plain words")


def validate_questions(questions, contradictions, matters=()):
    """Check explorer questions as content states them; raise ValueError naming the
    problem. Every question needs a plain name, a label and two answers or more, one
    of them "not-sure" (an easy, normal answer everywhere)."""
    if not isinstance(questions, list) or not questions:
        raise ValueError("there must be at least one [[questions]] table")
    names = set()
    for n, question in enumerate(questions, 1):
        where = f"question {n}"
        if not isinstance(question, dict):
            raise ValueError(f"{where} must be a [[questions]] table")
        unknown = set(question) - QUESTION_KEYS
        if unknown:
            raise ValueError(
                f"{where} has unknown field(s): {', '.join(sorted(unknown))}"
            )
        name = question.get("name")
        if not isinstance(name, str) or not name.isidentifier() or name == "show":
            raise ValueError(f"{where} needs a 'name' of letters and underscores")
        if name in names:
            raise ValueError(f"{where}: the name '{name}' is used twice")
        names.add(name)
        where = f"question '{name}'"
        for key in ("label", "help"):
            if not isinstance(question.get(key, ""), str):
                raise ValueError(f"{where}: '{key}' must be text")
        if not question.get("label", "").strip():
            raise ValueError(f"{where} needs a 'label' in plain words")
        answers = question.get("answers")
        if not isinstance(answers, list) or len(answers) < 2:
            raise ValueError(f"{where} needs two [[questions.answers]] or more")
        values = set()
        for answer in answers:
            if not isinstance(answer, dict) or set(answer) != ANSWER_KEYS:
                raise ValueError(
                    f"{where}: each answer has exactly 'value', 'label' and 'said'"
                )
            if not all(
                isinstance(answer[k], str) and answer[k].strip() for k in ANSWER_KEYS
            ):
                raise ValueError(f"{where}: an answer has an empty field")
            if answer["value"] in values:
                raise ValueError(
                    f"{where}: the answer '{answer['value']}' is there twice"
                )
            values.add(answer["value"])
        if NOT_SURE not in values:
            raise ValueError(f"{where} needs a '{NOT_SURE}' answer")
    known = QuestionSet.from_content({"questions": questions, "contradictions": []})
    if not isinstance(contradictions, list):
        raise ValueError("'contradictions' must be a list of [[contradictions]] tables")
    for n, pair in enumerate(contradictions, 1):
        where = f"contradiction {n}"
        if not isinstance(pair, dict) or set(pair) != {"answers"}:
            raise ValueError(f"{where} must be a table with 'answers' only")
        refs = pair["answers"]
        if not isinstance(refs, list) or len(refs) != 2:
            raise ValueError(f"{where} names exactly two answers")
        for ref in refs:
            check_answer_reference(ref, where, known)
    validate_matters(list(matters))


def validate_fit_rules(rules, questions=None):
    """Check fit rules as content states them; raise ValueError naming the problem.
    The answers they name are checked against `questions` (a QuestionSet) when given.

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
                    item, where if key == "when" else f"{where}, unless", questions
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


def fit_rules_from_text(text, questions=None):
    """The editors' lines back as rules, their answers checked against `questions`
    when given; raise ValueError naming the line at fault."""
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
            validate_fit_rules(rules[-1:], questions)
        except ValueError as error:
            raise ValueError(str(error).replace("fit rule 1", f"line {n}", 1)) from None
    return rules


def check_answer_reference(item, where, questions=None):
    """An answer reference is "question=answer"; with `questions`, both known and
    "not sure" excluded (a fit rule never rests on not knowing)."""
    if not isinstance(item, str) or "=" not in item:
        raise ValueError(f"{where} entries look like 'extent=spread', not {item!r}")
    if not questions:
        return
    name, _, value = item.partition("=")
    question = questions.questions.get(name)
    if question is None:
        raise ValueError(
            f"{where}: unknown question '{name}' "
            f"(use one of: {', '.join(questions.questions)})"
        )
    if value == NOT_SURE or question.answer(value) is None:
        values = ", ".join(a.value for a in question.answers if a.value != NOT_SURE)
        raise ValueError(
            f"{where}: '{value}' is not an answer to '{name}' (use one of: {values})"
        )


class SituationForm(forms.Form):
    """The approved questions. "show" marks a submitted form, so an empty one is
    noticed."""

    show = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, questions, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for name, question in questions.questions.items():
            self.fields[name] = forms.ChoiceField(
                label=question.label,
                help_text=question.help,
                choices=[(a.value, a.label) for a in question.answers],
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": _("Please choose one of the answers shown.")
                },
            )

    def question_fields(self):
        return [self[name] for name in self.questions.questions]

    def questions_with_radios(self):
        """Each question's field and its radio buttons' HTML, made here: as template
        loops they were most of the page's render time."""
        for bound in self.question_fields():
            chosen = bound.value()
            yield (
                bound,
                format_html_join(
                    "\n      ",
                    '<div class="choice"><input type="radio" name="{}" value="{}" '
                    'id="{}"{}> <label for="{}">{}</label></div>',
                    (
                        (
                            bound.html_name,
                            value,
                            f"{bound.auto_id}_{n}",
                            mark_safe(" checked") if value == chosen else "",
                            f"{bound.auto_id}_{n}",
                            label,
                        )
                        for n, (value, label) in enumerate(bound.field.choices)
                    ),
                ),
            )

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
        for first, second in self.questions.contradicted(given):
            message = gettext(
                "You said %(first)s, and also that %(second)s. "
                "Please check these two answers."
            ) % {"first": self.said(first), "second": self.said(second)}
            self.add_error(first[0], message)
            self.add_error(second[0], message)
        return cleaned

    def given_answers(self, cleaned):
        """The (question, answer) pairs the patient chose, in question order."""
        return [
            (name, cleaned[name])
            for name in self.questions.questions
            if cleaned.get(name)
        ]

    def said(self, pair):
        return self.questions.said(*pair)

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


def matching_reasons(rules, answers, questions):
    """The reasons of every rule these answers satisfy (marks stripped); rules that
    tell the same thing are shown once, resting on all of their answers."""
    by_text = {}
    for rule in rules:
        when = [item.partition("=")[::2] for item in rule["when"]]
        unless = [item.partition("=")[::2] for item in rule.get("unless", [])]
        if all(answers.get(name) == value for name, value in when) and not any(
            answers.get(name) == value for name, value in unless
        ):
            text = without_marks(rule["reason"])
            reason = by_text.setdefault(text, Reason([], text))
            for name, value in when:
                said = questions.said(name, value)
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
    def fits(self):
        return bool(self.reasons or self.procedures)


def match_treatments(pages, answers, questions):
    """Split published treatment pages into (matches, also worth asking about).

    A treatment matches when one of its own fit rules or one of its procedures'
    applies. Matches keep the order of `pages`, the guide's own order that reviewers
    set on the treatments: code never ranks options (how many answers matched says
    nothing about which option is better). Treatments whose page says they are worth
    asking about for everyone are listed apart when they do not match.
    """
    matches, also_ask = [], []
    for page in pages:
        content = page.content
        match = Match(
            page,
            matching_reasons(content.get("fits", []), answers, questions),
            [
                (procedure["name"], reasons)
                for procedure in content.get("procedures", [])
                if (
                    reasons := matching_reasons(
                        procedure.get("fits", []), answers, questions
                    )
                )
            ],
        )
        if match.fits:
            matches.append(match)
        elif content.get("also_ask"):
            also_ask.append(page)
    return matches, also_ask
