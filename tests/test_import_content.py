import filecmp
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from treatments.models import Drug, Page, SideEffect, SiteSettings, Treatment

from .kit import CONTENT_DIR, import_content

pytestmark = pytest.mark.embedded

EXPECTED_SLUGS = [
    "active-surveillance",
    "surgery",
    "chemotherapy",
    "targeted-therapy",
    "hormone-therapy",
    "radiation-therapy",
    "interventional-radiology",
    "gastroenterology",
    "prrt",
    "theranostics",
    "clinical-trials",
]


def run_import(directory, **options):
    return import_content(directory=directory, **{"verbosity": 1, **options})


def database_state():
    return {
        "treatments": [m.snapshot() for m in Treatment.objects.with_parts()],
        "side_effects": list(SideEffect.objects.values()),
        "drugs": list(Drug.objects.values()),
        "pages": list(Page.objects.values("slug", "title", "body")),
    }


@pytest.mark.django_db
def test_import_creates_every_treatment_in_order():
    output = run_import(CONTENT_DIR)
    english = Treatment.objects.in_language("en")
    assert list(english.values_list("slug", flat=True)) == EXPECTED_SLUGS
    assert "created" in output
    assert SiteSettings.load().phone_number == "(888) 552-6760"
    assert set(Page.objects.in_language("en").values_list("slug", flat=True)) == {
        "overview",
        "policy",
        "privacy",
    }


@pytest.mark.django_db
def test_second_import_changes_nothing():
    run_import(CONTENT_DIR)
    before = database_state()
    output = run_import(CONTENT_DIR)
    assert "0 created, 0 updated" in output
    assert database_state() == before


@pytest.mark.django_db
def test_import_reports_an_updated_record(content_copy):
    run_import(CONTENT_DIR)
    path = content_copy / "treatments" / "02-surgery.md"
    path.write_text(
        path.read_text().replace('title = "Surgery"', 'title = "Surgery for NETs"')
    )
    output = run_import(content_copy)
    assert "0 created, 1 updated" in output
    assert Treatment.objects.get(slug="surgery").title == "Surgery for NETs"


@pytest.mark.django_db
def test_dry_run_writes_nothing():
    output = run_import(CONTENT_DIR, dry_run=True)
    assert "Dry run" in output
    assert not Treatment.objects.exists()


def break_file(directory, relative, old, new):
    path = directory / relative
    text = path.read_text()
    assert old in text, f"test setup: {old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


REFUSALS = [
    # (file, text to replace, replacement, words the message must contain)
    ("treatments/02-surgery.md", "+++\n", "", ["02-surgery.md", "front matter"]),
    (
        "treatments/02-surgery.md",
        'title = "Surgery"',
        'title = "Surgery',
        ["02-surgery.md", "TOML"],
    ),
    (
        "treatments/02-surgery.md",
        'title = "Surgery"\n',
        "",
        ["02-surgery.md", "missing 'title'"],
    ),
    (
        "treatments/02-surgery.md",
        'title = "Surgery"',
        'title = ""',
        ["02-surgery.md", "'title'"],
    ),
    (
        "treatments/03-chemotherapy.md",
        '"nausea",',
        '"seasickness",',
        ["03-chemotherapy.md", "unknown side effect 'seasickness'"],
    ),
    (
        "treatments/04-targeted-therapy.md",
        '"everolimus",',
        '"aspirin",',
        ["04-targeted-therapy.md", "unknown drug 'aspirin'"],
    ),
    (
        "treatments/03-chemotherapy.md",
        'slug = "chemotherapy"',
        'slug = "surgery"',
        ["03-chemotherapy.md", "duplicate slug 'surgery'"],
    ),
    (
        "side-effects.toml",
        'slug = "fatigue"',
        'slug = "nausea"',
        ["side-effects.toml", "duplicate slug"],
    ),
    (
        "treatments/02-surgery.md",
        '"origin=gi"',
        '"origin=moon"',
        [
            "02-surgery.md",
            "procedure 3: fit rule 1",
            "'moon' is not an answer to 'origin'",
        ],
    ),
    (
        "treatments/05-hormone-therapy.md",
        '"hormones=yes"',
        '"mood=yes"',
        ["05-hormone-therapy.md", "fit rule 1", "unknown question 'mood'"],
    ),
    (
        "treatments/01-active-surveillance.md",
        'reason = "Active surveillance may be a choice for a low-grade NET. [[seed:14]] These tumors tend to grow slowly. [[seed:15]]"',
        'reason = ""',
        ["01-active-surveillance.md", "fit rule 1 needs a 'reason'"],
    ),
    (
        "questions.toml",
        'value = "not-sure"\nlabel = "I am not sure"\nsaid = "you are not sure of its grade"',
        'value = "unknown"\nlabel = "I am not sure"\nsaid = "you are not sure of its grade"',
        ["questions.toml", "question 'grade' needs a 'not-sure' answer"],
    ),
    (
        "questions.toml",
        '    "liver=yes",\n]',
        '    "liver=sideways",\n]',
        ["questions.toml", "contradiction 1: 'sideways' is not an answer to 'liver'"],
    ),
    (
        "treatments/06-radiation-therapy.md",
        '"location=yes"',
        '"surgery=yes"',
        ["06-radiation-therapy.md", "fit rule 3", "unknown question 'surgery'"],
    ),
    (
        "treatments/05-hormone-therapy.md",
        '    "The drugs are usually given as a shot (injection). [[seed:64]]",\n',
        '    "The drugs are usually given as a shot (injection). [[seed:64]]",\n' * 3,
        ["05-hormone-therapy.md", "'key_points' must hold 2 to 4 points"],
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("relative, old, new, words", REFUSALS)
def test_malformed_content_is_refused_and_nothing_is_written(
    content_copy, relative, old, new, words
):
    # A valid change elsewhere in the same run must not be written either.
    break_file(
        content_copy, "site.toml", 'site_name = "NET Guide"', 'site_name = "Changed"'
    )
    break_file(content_copy, relative, old, new)
    with pytest.raises(CommandError) as error:
        run_import(content_copy)
    message = str(error.value)
    assert "Nothing was imported" in message
    for word in words:
        assert word in message
    assert not Treatment.objects.exists()
    assert not SiteSettings.objects.exists()


@pytest.mark.django_db
def test_refused_import_keeps_the_previous_content(content_copy):
    run_import(CONTENT_DIR)
    before = database_state()
    break_file(
        content_copy,
        "treatments/02-surgery.md",
        'title = "Surgery"',
        'title = "Changed"',
    )
    break_file(
        content_copy, "treatments/03-chemotherapy.md", '"nausea",', '"unknown-effect",'
    )
    with pytest.raises(CommandError):
        run_import(content_copy)
    assert database_state() == before


@pytest.mark.django_db
def test_non_utf8_file_is_refused_with_its_name(content_copy):
    (content_copy / "treatments" / "02-surgery.md").write_bytes(
        b'+++\ntitle = "\xff"\n+++\n'
    )
    with pytest.raises(CommandError, match="02-surgery.md: is not UTF-8"):
        run_import(content_copy)


@pytest.mark.django_db
def test_import_then_export_reproduces_content_byte_for_byte(tmp_path):
    run_import(CONTENT_DIR)
    call_command("export_content", str(tmp_path / "out"), stdout=StringIO())
    comparison = filecmp.dircmp(CONTENT_DIR, tmp_path / "out")

    def differences(cmp):
        found = cmp.left_only + cmp.right_only + cmp.diff_files
        for sub in cmp.subdirs.values():
            found += differences(sub)
        return found

    assert differences(comparison) == []
    for path in CONTENT_DIR.rglob("*"):
        if path.is_file():
            exported = tmp_path / "out" / path.relative_to(CONTENT_DIR)
            assert exported.read_bytes() == path.read_bytes(), path
