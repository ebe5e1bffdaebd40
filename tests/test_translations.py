r"""Translations: the catalogues in locale/ are complete, fresh and compiled; nothing user-facing escapes them.

- The messages of the project are extracted afresh (Django's makemessages, run on a temporary copy of the
  sources, about a second) and every one must be in locale/fr and locale/en.
- Every entry of both catalogues is translated (all plural forms), none is fuzzy, `msgfmt --check` passes,
  the French catalogue is the identity and the committed .mo files say what their .po files say.
- Templates hold no visible text outside the translation tags, and Python code marks its user-facing
  literals (messages, validation errors, labels, choices, admin descriptions, email subjects).
- With the language cookie "en" the pages, PDF documents and emails are in English; dates, numbers and
  plurals follow the language.

The catalogues are updated with (see README):
    .venv/bin/python manage.py makemessages -l fr -l en --no-obsolete --ignore=.venv --ignore=data \
        --ignore=staticfiles --ignore=bench --ignore=tests --ignore=node_modules
    then: in locale/fr msgstr = msgid; translate the new entries of locale/en (remove any "fuzzy" flag);
    .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules
"""

import ast
import datetime as dt
import gettext
import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import engines
from django.template.base import DebugLexer, TokenType
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from alliances.documents import render_html
from alliances.invitations import user_invite
from sessions import vote
from sessions.documents import build_attendance_sheet
from tests import factories
from tests.factories_committee import seated_user
from tests.factories_community import participant_in

BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale"
LANGUAGES = ["fr", "en"]
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "en": "nplurals=2; plural=(n != 1);"}

# What makemessages must not look into (the README's command passes the same --ignore options).
NOT_SOURCES = {".venv", "data", "staticfiles", "bench", "tests", "locale", "node_modules", "__pycache__"}
SOURCE_EXTENSIONS = (".py", ".html", ".txt")
PROJECT_PACKAGES = ["alliances", "evaluation", "governance", "networks", "sessions"]


# --- Reading .po files ---------------------------------------------------------------------------


class Entry:
    """One message of a .po file."""

    def __init__(self):
        self.msgctxt = None
        self.msgid = ""
        self.msgid_plural = None
        self.msgstr = {}  # plural index (0 for a singular entry) -> text
        self.flags = set()
        self.locations = []
        self.line = 0

    @property
    def key(self):
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def where(self):
        return ", ".join(self.locations) or f"line {self.line}"

    def __str__(self):
        context = f"[{self.msgctxt}] " if self.msgctxt else ""
        plural = f" / {self.msgid_plural!r}" if self.msgid_plural is not None else ""
        return f"{context}{self.msgid!r}{plural}  ({self.where()})"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(text):
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a PO string: {text!r}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path):
    """The entries of a .po file (obsolete #~ entries left out), header included (msgid "")."""
    entries, entry, field = [], None, None
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line and entry is not None and entry.msgstr:
                entries.append(entry)
                entry, field = None, None
            continue
        if entry is None or (entry.msgstr and not line.startswith(('"', "msgstr"))):
            if entry is not None:
                entries.append(entry)
            entry, field = Entry(), None
            entry.line = number
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#:"):
            entry.locations.extend(line[2:].split())
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            kind, index = field
            if kind == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, kind, getattr(entry, kind) + _unquote(line))
        else:
            keyword, _space, value = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match or keyword == "msgstr":
                index = int(match.group(1)) if match else 0
                entry.msgstr[index] = _unquote(value)
                field = ("msgstr", index)
            elif keyword in ("msgid", "msgid_plural", "msgctxt"):
                setattr(entry, keyword, _unquote(value))
                field = (keyword, None)
            else:
                raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    if entry is not None and entry.msgstr:
        entries.append(entry)
    return entries


def po_path(language):
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def messages_of(language):
    """The entries of locale/<language>, header left out."""
    path = po_path(language)
    assert path.is_file(), f"{path.relative_to(BASE_DIR)} is missing: see the README (translations)."
    return [entry for entry in read_po(path) if entry.msgid]


def plural_forms(language):
    header = next(entry for entry in read_po(po_path(language)) if entry.msgid == "")
    match = re.search(r"^Plural-Forms:\s*(.*?)\s*$", header.msgstr[0], re.MULTILINE)
    return match.group(1) if match else None


def require_none(items, message):
    """Fail with ``message`` (a readable listing) when ``items`` is not empty."""
    if items:
        pytest.fail(message, pytrace=False)


def listing(items, limit=60):
    items = list(items)
    shown = "\n".join(f"  - {item}" for item in items[:limit])
    more = f"\n  ... and {len(items) - limit} more" if len(items) > limit else ""
    return shown + more


# --- (a) The catalogues hold every message of the sources --------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the project, extracted now by makemessages from a temporary copy of the sources.

    makemessages writes next to the templates it reads and into LOCALE_PATHS, so it runs on a copy:
    the real tree and locale/ are never touched (about a second for the whole project).
    """
    copy = tmp_path_factory.mktemp("sources")
    for dirpath, dirnames, filenames in os.walk(BASE_DIR):
        dirnames[:] = sorted(d for d in dirnames if d not in NOT_SOURCES and not d.startswith("."))
        relative = Path(dirpath).relative_to(BASE_DIR)
        for filename in filenames:
            if filename.endswith(SOURCE_EXTENSIONS) and not filename.startswith("."):
                (copy / relative).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(dirpath) / filename, copy / relative / filename)
    (copy / "locale").mkdir()
    here = os.getcwd()
    try:
        os.chdir(copy)
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            call_command("makemessages", locale=["fr"], keep_pot=True, no_obsolete=True, verbosity=0)
    finally:
        os.chdir(here)
    entries = [entry for entry in read_po(copy / "locale" / "django.pot") if entry.msgid]
    assert len(entries) > 100, "the extraction found almost no message: is makemessages broken?"
    return entries


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_every_message_of_the_sources(extracted, language):
    known = {entry.key for entry in messages_of(language)}
    missing = [entry for entry in extracted if entry.key not in known]
    require_none(
        missing,
        f"locale/{language} is stale: {len(missing)} message(s) of the sources are not in it. Run "
        "makemessages, translate and compilemessages (README, translations):\n" + listing(missing),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_no_message_the_sources_dropped(extracted, language):
    wanted = {entry.key for entry in extracted}
    leftovers = [entry for entry in messages_of(language) if entry.key not in wanted]
    require_none(
        leftovers,
        f"locale/{language} is stale: {len(leftovers)} message(s) are no longer in the sources "
        "(makemessages --no-obsolete removes them):\n" + listing(leftovers),
    )


# --- (b) Every entry translated, none fuzzy, msgfmt --check clean --------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    assert plural_forms(language) == PLURAL_FORMS[language], (
        f"locale/{language}: the header's Plural-Forms must be {PLURAL_FORMS[language]!r}"
    )
    untranslated, fuzzy, missing_forms = [], [], []
    for entry in messages_of(language):
        if "fuzzy" in entry.flags:
            fuzzy.append(entry)
        if entry.msgid_plural is not None:
            forms = [entry.msgstr.get(index, "") for index in range(2)]
            if set(entry.msgstr) != {0, 1}:
                missing_forms.append(f"{entry}: forms {sorted(entry.msgstr)} instead of [0, 1]")
            elif not all(forms):
                untranslated.append(entry)
        elif not entry.msgstr.get(0):
            untranslated.append(entry)
    problems = []
    if untranslated:
        problems.append(f"{len(untranslated)} untranslated:\n" + listing(untranslated))
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy (check the translation, then remove the flag):\n" + listing(fuzzy))
    if missing_forms:
        problems.append(f"{len(missing_forms)} plural entries without both forms:\n" + listing(missing_forms))
    require_none(problems, f"locale/{language}/LC_MESSAGES/django.po: " + "\n".join(problems))


@pytest.mark.parametrize("language", LANGUAGES)
def test_msgfmt_check_passes(language, tmp_path):
    """Placeholders (python-format) kept, header and plural forms consistent."""
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po_path(language))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"msgfmt --check fails on locale/{language}:\n{result.stderr}"


def _tags(text):
    return sorted(re.findall(r"</?[a-zA-Z][a-zA-Z0-9]*", text))


def _placeholders(text):
    return sorted(re.findall(r"%\(\w+\)[sdif]|\{\w*\}", text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_and_html_tags(language):
    broken = []
    for entry in messages_of(language):
        for index, text in entry.msgstr.items():
            source = entry.msgid_plural if index > 0 and entry.msgid_plural is not None else entry.msgid
            if not text:
                continue
            if _tags(text) != _tags(source):
                broken.append(f"{entry}: HTML tags {_tags(text)} instead of {_tags(source)}")
            # The singular form of a plural entry may leave the count out ("One vote" for "%(count)d votes").
            wanted = set(_placeholders(source))
            if entry.msgid_plural is not None and index == 0:
                wanted = set(_placeholders(entry.msgid_plural))
                ok = set(_placeholders(text)) <= wanted
            else:
                ok = set(_placeholders(text)) == wanted
            if not ok:
                broken.append(f"{entry}: placeholders {_placeholders(text)} instead of {sorted(wanted)}")
    require_none(broken, f"locale/{language}: translations that lose or invent markup:\n" + listing(broken))


def test_the_french_catalogue_is_the_identity():
    """The sources are French: locale/fr only exists so that French is an explicit, complete catalogue."""
    different = []
    for entry in messages_of("fr"):
        expected = {0: entry.msgid} if entry.msgid_plural is None else {0: entry.msgid, 1: entry.msgid_plural}
        if entry.msgstr != expected:
            different.append(entry)
    require_none(
        different, "locale/fr: msgstr must repeat the msgid (msgstr[1] the msgid_plural):\n" + listing(different)
    )


# --- (c) The committed .mo files are compiled from the .po files ---------------------------------------


def _compiled(path):
    with open(path, "rb") as file:
        translations = gettext.GNUTranslations(file)
    return translations._catalog, translations.plural


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_matches_its_po_file(language, tmp_path):
    committed = po_path(language).with_suffix(".mo")
    assert committed.is_file(), f"locale/{language}/LC_MESSAGES/django.mo is missing: run compilemessages."
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(po_path(language))], check=True, capture_output=True)
    committed_catalogue, committed_plural = _compiled(committed)
    fresh_catalogue, fresh_plural = _compiled(fresh)
    differences = sorted(
        repr(key)
        for key in committed_catalogue.keys() | fresh_catalogue.keys()
        if committed_catalogue.get(key) != fresh_catalogue.get(key) and key != ""
    )
    require_none(
        differences,
        f"locale/{language}/LC_MESSAGES/django.mo is older than its .po ({len(differences)} message(s) differ): "
        "run compilemessages and commit the .mo.\n" + listing(differences),
    )
    assert [committed_plural(n) for n in range(3)] == [fresh_plural(n) for n in range(3)]


# --- (d) No visible text outside the translation tags ---------------------------------------------------

# Text a template may show as is, in every language: names of file formats (no French word).
ALLOWED_TEMPLATE_TEXT = {"CSV", "XLSX"}
# Attributes whose value people read or hear.
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-placeholder"}
_LETTERS = re.compile(r"[^\W\d_]{2,}|[^\W\d_]\w")


def project_template_dirs():
    """templates/ and the templates folders of the project's own apps (not those of installed packages)."""
    dirs = []
    for directory in engines["django"].template_dirs:
        directory = Path(directory).resolve()
        if directory.is_relative_to(BASE_DIR) and not directory.is_relative_to(BASE_DIR / ".venv"):
            dirs.append(directory)
    return dirs


def project_templates():
    files = []
    for directory in project_template_dirs():
        files.extend(
            path for path in sorted(directory.rglob("*")) if path.is_file() and path.suffix in (".html", ".txt")
        )
    return files


def visible_text(source):
    """The template with its tags, variables, comments and translated parts blanked out (lines kept)."""
    pieces, closing = [], None
    for token in DebugLexer(source).tokenize():
        start, end = token.position
        if token.token_type == TokenType.BLOCK:
            name = (token.contents.split() or [""])[0]
            if closing is None and name in ("blocktranslate", "blocktrans", "comment", "verbatim"):
                closing = "end" + name
            # {% block body_class %}certificate{% endblock %}: a CSS class, not text.
            elif closing is None and name == "block" and token.contents.split()[-1].endswith("class"):
                closing = "endblock"
            elif closing == name:
                closing = None
        if token.token_type == TokenType.TEXT and closing is None:
            pieces.append(source[start:end])
        else:
            pieces.append("\x00" + "\n" * source.count("\n", start, end))
    return "".join(pieces)


def _blank(match):
    return "\x00" + "\n" * match.group(0).count("\n")


def untranslated_text(path):
    """(line, text) of the visible words a template shows without a translation tag."""
    text = visible_text(path.read_text(encoding="utf-8"))
    text = re.sub(r"<!--.*?-->", _blank, text, flags=re.DOTALL)
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", _blank, text, flags=re.DOTALL | re.IGNORECASE)
    findings = []

    def line_of(position):
        return text.count("\n", 0, position) + 1

    for tag in re.finditer(r"<([a-zA-Z][\w-]*)([^>]*)>", text):
        name, attributes = tag.group(1).lower(), tag.group(2)
        parsed = {
            match.group(1).lower(): match.group(3) if match.group(3) is not None else match.group(4)
            for match in re.finditer(r"([\w:-]+)\s*=\s*(\"([^\"]*)\"|'([^']*)')", attributes)
        }
        for attribute, value in parsed.items():
            button = name == "input" and parsed.get("type", "").lower() in ("submit", "button", "reset")
            if attribute in VISIBLE_ATTRIBUTES or (attribute == "value" and button):
                words = value.replace("\x00", " ").strip()
                if _LETTERS.search(words) and words not in ALLOWED_TEMPLATE_TEXT:
                    findings.append((line_of(tag.start()), f'{attribute}="{words}"'))
    text = re.sub(r"<[^>]*>", _blank, text)
    text = re.sub(r"&(#\d+|#x[0-9a-fA-F]+|\w+);", " ", text)
    for match in re.finditer(r"[^\x00<>]+", text):
        words = " ".join(match.group(0).split())
        if _LETTERS.search(words) and words not in ALLOWED_TEMPLATE_TEXT:
            findings.append((line_of(match.start() + len(match.group(0)) - len(match.group(0).lstrip())), words))
    return findings


# Tags whose string arguments are names, paths or formats, not text.
TECHNICAL_TAGS = {"url", "static", "extends", "include", "load", "block", "now", "csrf_token", "get_language_info"}
TRANSLATION_TAGS = {"translate", "trans", "blocktranslate", "blocktrans", "plural"}


def untranslated_literals(path):
    """(line, literal) of the string literals of {{ }} and {% %} that show text without _()."""
    source = path.read_text(encoding="utf-8")
    findings = []
    for token in DebugLexer(source).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        name = (token.contents.split() or [""])[0]
        if name in TRANSLATION_TAGS or name in TECHNICAL_TAGS and name != "include":
            continue
        contents = token.contents
        if name == "include":  # {% include "name.html" with title="..." %}: only the with values count
            contents = contents.partition(" with ")[2]
        for match in re.finditer(r"(_\(\s*)?([\"'])(.*?)\2", contents):
            before = contents[: match.start()]
            if match.group(1) or re.search(r"(date|time|naturaltime|timesince|floatformat):$", before):
                continue
            text = match.group(3).strip()
            technical = re.fullmatch(r"[a-z0-9_.:/#?=&-]*|[A-Z0-9_]{1,5}", text)
            if _LETTERS.search(text) and not technical and text not in ALLOWED_TEMPLATE_TEXT:
                findings.append((token.lineno, token.contents))
    return findings


def test_templates_show_no_text_outside_translation_tags():
    templates = project_templates()
    assert len(templates) > 50, "the template folders were not found"
    findings = [
        f"{path.relative_to(BASE_DIR)}:{line}: {words!r}"
        for path in templates
        for line, words in [*untranslated_text(path), *untranslated_literals(path)]
    ]
    require_none(
        findings,
        "Visible text outside {% translate %} / {% blocktranslate %} (wrap it, or add a language-neutral "
        "code to ALLOWED_TEMPLATE_TEXT):\n" + listing(findings, limit=200),
    )


# --- (d) Python code marks its user-facing literals ------------------------------------------------------

# Keyword arguments and class attributes whose string people read.
USER_FACING_KEYWORDS = {
    "verbose_name",
    "verbose_name_plural",
    "label",
    "help_text",
    "description",
    "short_description",
    "empty_label",
    "empty_value_display",
    "subject",
    "message",
    "title",
    "site_header",
    "site_title",
    "index_title",
}
MESSAGE_FUNCTIONS = {"success", "error", "warning", "info", "debug", "add_message", "message_user"}
RAISED_ERRORS = {"ValidationError", "PermissionDenied", "Http404"}
MAIL_FUNCTIONS = {
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "EmailMessage",
    "EmailMultiAlternatives",
}
# crispy-forms layout objects -> the position of their visible label.
LAYOUT_LABELS = {"Fieldset": 0, "StrictButton": 0, "Submit": 1, "Button": 1, "Reset": 1, "Tab": 0, "AccordionGroup": 0}
# (file, literal) pairs that are not user-facing although they sit where user-facing text usually does.
ALLOWED_PYTHON_LITERALS = set()


def _is_prose(node):
    """A plain string literal (or f-string) with words in it, not wrapped in gettext."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        # Identifiers, paths and codes ("confirmed", "alliances", "sessions:list", "RF1") are not prose.
        technical = re.fullmatch(r"[a-z0-9_.:/-]*|[A-Z0-9_]{1,5}", text)
        return bool(_LETTERS.search(text)) and not technical
    if isinstance(node, ast.JoinedStr):
        return any(_is_prose(value) for value in node.values if isinstance(value, ast.Constant))
    return False


def _literal(node):
    if isinstance(node, ast.Constant):
        return node.value
    return ast.unparse(node)


def _name(node):
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _choice_labels(node):
    """Labels of a literal choices list [("value", "Label"), ...]."""
    if isinstance(node, (ast.List, ast.Tuple)):
        for item in node.elts:
            if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                yield item.elts[1]


def unmarked_literals(tree):
    """(line, literal, why) of the French literals a module shows without gettext."""
    found = []

    def check(node, why):
        if node is not None and _is_prose(node):
            found.append((node.lineno, _literal(node), why))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = _name(node.func)
            owner = _name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
            if function in MESSAGE_FUNCTIONS and (owner == "messages" or function == "message_user"):
                for argument in node.args[1:3]:
                    check(argument, f"{owner or 'self'}.{function}()")
            if function in RAISED_ERRORS and node.args:
                check(node.args[0], f"{function}()")
            if function in MAIL_FUNCTIONS and node.args:
                check(node.args[0], f"{function}() subject")
            if function == "add_error" and len(node.args) > 1:
                check(node.args[1], "add_error()")
            # Model fields: the first positional argument is the verbose name, often one lowercase word.
            if function.endswith("Field") and function != "Field" and node.args:  # crispy Field("name")
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and _LETTERS.search(first.value):
                    found.append((first.lineno, first.value, f"{function}() verbose name"))
            if function in LAYOUT_LABELS and len(node.args) > LAYOUT_LABELS[function]:
                check(node.args[LAYOUT_LABELS[function]], f"{function}()")
            for keyword in node.keywords:
                if keyword.arg in USER_FACING_KEYWORDS:
                    check(keyword.value, f"{keyword.arg}=")
                if keyword.arg == "choices":
                    for label in _choice_labels(keyword.value):
                        check(label, "choices=")
                if keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                    for value in keyword.value.values:
                        check(value, "error_messages=")
        elif isinstance(node, ast.Dict):  # widget attrs={"placeholder": ...}
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in VISIBLE_ATTRIBUTES:
                    check(value, f"{key.value!r}:")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if _name(target) in USER_FACING_KEYWORDS | {"choices"}:
                    if _name(target) == "choices":
                        for label in _choice_labels(node.value):
                            check(label, "choices =")
                    else:
                        check(node.value, f"{_name(target)} =")
        elif isinstance(node, ast.ClassDef) and any(
            _name(base) in ("TextChoices", "IntegerChoices", "Choices") for base in node.bases
        ):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                    check(statement.value.elts[-1], f"{node.name} choice label")
    return found


# Modules that write content into the database (demo, pilot programme, load-test data): their strings
# are data people type and edit, not interface text.
DATA_MODULES = {"pilot.py", "demo.py", "scale.py"}


def project_modules():
    for package in PROJECT_PACKAGES:
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            if "migrations" not in path.parts and path.name not in DATA_MODULES:
                yield path


def test_python_code_marks_its_user_facing_strings():
    findings = []
    for path in project_modules():
        relative = str(path.relative_to(BASE_DIR))
        for line, literal, why in unmarked_literals(ast.parse(path.read_text(encoding="utf-8"))):
            if (relative, literal) not in ALLOWED_PYTHON_LITERALS:
                findings.append(f"{relative}:{line}: {why} {literal!r}")
    require_none(findings, "User-facing strings not wrapped in gettext / gettext_lazy:\n" + listing(findings, 200))


# --- (e) English when chosen, French otherwise ------------------------------------------------------------


def english_catalogue():
    """msgid -> English msgstr (the plural form for plural entries) of locale/en."""
    return {
        entry.msgid: entry.msgstr.get(0, "") if entry.msgid_plural is None else entry.msgstr.get(1, "")
        for entry in messages_of("en")
    }


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sd]|\{\w*\}")


def plain(content):
    """The visible text of an HTML page or email: text and the attributes people read, spaces collapsed."""
    if isinstance(content, bytes):
        content = content.decode()
    content = re.sub(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", " ", content, flags=re.DOTALL | re.IGNORECASE)
    attributes = re.findall(r"\b(?:title|alt|placeholder|aria-label|value)=\"([^\"]*)\"", content)
    content = re.sub(r"<[^>]*>", " ", content)
    return " ".join(html.unescape(" ".join([content, *attributes])).split())


def _occurs(text, phrase):
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text) is not None


def shown_messages(french, catalogue):
    """The catalogue's plain messages (no placeholder) the French text shows on their own, with their English.

    Every message is matched, longest first, and blanked out where found, placeholder messages by their
    fixed parts: a short message only counts where the page shows it by itself, not inside a longer
    one. Single words (which people's data may contain) and messages the English catalogue keeps, or
    reuses inside another translation, cannot tell the languages apart and are left out.
    """
    english_texts = "\n".join(catalogue.values())
    fragments = []
    for msgid in catalogue:
        text = " ".join(re.sub(r"<[^>]*>", " ", msgid).split())
        parts = [" ".join(part.split()) for part in PLACEHOLDER.split(text)]
        whole = len(parts) == 1 and text == " ".join(msgid.split())
        fragments.extend((part, msgid if whole else None) for part in parts if len(part) >= 4)
    chosen = {}
    for fragment, msgid in sorted(fragments, key=lambda item: len(item[0]), reverse=True):
        if not _occurs(french, fragment):
            continue
        french = re.sub(r"(?<!\w)" + re.escape(fragment) + r"(?!\w)", "\x00", french)
        msgstr = " ".join(catalogue[msgid].split()) if msgid else ""
        telling = msgstr and msgstr != fragment and fragment not in english_texts
        if msgid and " " in fragment and len(fragment) >= 8 and telling:
            chosen[fragment] = msgstr
    return chosen


def assert_english(french, english, *, where, at_least=3):
    """English shows the translation of every plain message French shows, and none of the French ones."""
    shown = shown_messages(plain(french), english_catalogue())
    assert len(shown) >= at_least, (
        f"{where}: only {len(shown)} message(s) of the French page have an English translation in locale/en "
        f"({sorted(shown)}): is locale/en filled and compiled?"
    )
    english = plain(english)
    problems = [f"{msgid!r} -> {msgstr!r} missing" for msgid, msgstr in shown.items() if msgstr not in english]
    problems += [f"{msgid!r} still in French" for msgid in shown if _occurs(english, msgid)]
    require_none(problems, f"{where} in English:\n" + listing(problems))


def get_in(client, language, url):
    if language is None:
        client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    else:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def assert_page_language(response, language):
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in response.content.decode()


def assert_page_translates(client, url):
    french = get_in(client, None, url)
    assert_page_language(french, "fr")
    assert_page_language(get_in(client, "xx", url), "fr")
    english = get_in(client, "en", url)
    assert_page_language(english, "en")
    assert_english(french.content, english.content, where=url)
    return french, english


@pytest.mark.django_db
def test_the_login_page_in_english(client):
    assert_page_translates(client, reverse("accounts:login"))


def test_the_portal_home_and_session_list_in_english(client, programme, participant):
    factories.SessionFactory(programme=programme)
    client.force_login(participant.user)
    assert_page_translates(client, reverse("portal:home"))
    assert_page_translates(client, reverse("sessions:list"))


def test_the_committee_area_in_english(client, programme):
    committee = factories.CommitteeFactory(programme=programme, kind="steering", name="Comité de pilotage")
    factories.MeetingFactory(committee=committee, title="Réunion de lancement")
    client.force_login(seated_user(committee))
    assert_page_translates(client, reverse("committee:index"))
    assert_page_translates(client, reverse("committee:detail", args=[committee.pk]))


def test_email_and_pdf_templates_follow_the_active_language(programme, participant, mailoutbox):
    """Emails and documents are sent in French (DESIGN), but their templates are translated like the pages."""
    session = factories.SessionFactory(programme=programme, number=1)

    def render(language):
        with translation.override(language):
            user_invite(user=participant.user, programme=programme, base_url="http://testserver")
            email = mailoutbox.pop()
            sheet = render_html(
                "documents/attendance_sheet.html",
                build_attendance_sheet(programme, {"session": session.number}),
                programme=programme,
            )
        return email, sheet

    french_email, french_sheet = render("fr")
    english_email, english_sheet = render("en")
    assert_english(french_email.body, english_email.body, where="invitation email (text)", at_least=2)
    assert_english(
        french_email.alternatives[0][0], english_email.alternatives[0][0], where="invitation email (HTML)", at_least=2
    )
    assert french_email.subject != english_email.subject
    assert_english(french_sheet, english_sheet, where="attendance sheet (PDF)")


# --- (f) Dates, numbers and plurals follow the language -----------------------------------------------


def test_dates_follow_the_language(client, programme, participant):
    starts = timezone.make_aware(dt.datetime(2030, 3, 18, 9, 30))
    factories.SessionFactory(programme=programme, starts_at=starts, ends_at=starts + dt.timedelta(hours=7))
    client.force_login(participant.user)
    french = plain(get_in(client, None, reverse("sessions:list")).content)
    english = plain(get_in(client, "en", reverse("sessions:list")).content)
    assert "lundi 18 mars 2030" in french
    assert "Monday 18 March 2030" in english
    assert not _occurs(english, "mars") and not _occurs(english, "lundi")


def test_decimal_numbers_follow_the_language(client, programme, participant):
    factories.PartnershipFactory(enrolment=participant.enrolment)
    client.force_login(participant.user)
    french = plain(get_in(client, None, reverse("networks:partnerships")).content)
    english = plain(get_in(client, "en", reverse("networks:partnerships")).content)
    # The national average of partner types, 2.5 (networks.selectors.NATIONAL_AVERAGE_PARTNER_TYPES).
    assert "2,5" in french and "2.5" not in french
    assert "2.5" in english and "2,5" not in english


def _plural_entry(language, msgid):
    return next(entry for entry in messages_of(language) if entry.msgid == msgid)


@pytest.mark.parametrize("votes", [0, 1, 2])
def test_plurals_follow_the_language(client, programme, participant, votes):
    """French uses the singular for 0 and 1 (plural=(n > 1)), English only for 1 (plural=(n != 1))."""
    session = factories.SessionFactory(programme=programme, number=3, code="S3", topic_vote_open=True)
    proposal = factories.TopicProposalFactory(session=session)
    for voter in [participant, *(participant_in(programme) for _ in range(votes - 1))][:votes]:
        vote.topic_vote_cast(participant=voter, proposal=proposal)
    client.force_login(participant.user)
    msgid = "%(counter)s vote exprimé pour l'instant."
    french_entry, english_entry = _plural_entry("fr", msgid), _plural_entry("en", msgid)
    french_form = french_entry.msgstr[0 if votes <= 1 else 1] % {"counter": votes}
    english_form = english_entry.msgstr[0 if votes == 1 else 1] % {"counter": votes}
    assert french_form.startswith(f"{votes} vote{'s' if votes > 1 else ''} ")
    french = plain(get_in(client, None, reverse("community:topic_vote")).content)
    english = plain(get_in(client, "en", reverse("community:topic_vote")).content)
    assert " ".join(french_form.split()) in french
    assert " ".join(english_form.split()) in english


# --- The language switcher ----------------------------------------------------------------------------


def switcher_of(response):
    """(language, next, button text) of the language switcher form of a page."""
    content = response.content.decode()
    forms = re.findall(rf'<form method="post" action="{reverse("set_language")}"[^>]*>(.*?)</form>', content, re.DOTALL)
    assert len(forms) == 1, f"one language switcher expected on {response.wsgi_request.path}, found {len(forms)}"
    language = re.search(r'name="language" value="([^"]*)"', forms[0]).group(1)
    next_url = html.unescape(re.search(r'name="next" value="([^"]*)"', forms[0]).group(1))
    button = plain(re.search(r"<button[^>]*>(.*?)</button>", forms[0], re.DOTALL).group(1))
    return language, next_url, button


def assert_switches_language(client, url):
    assert switcher_of(get_in(client, None, url)) == ("en", url, "English")
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    english = client.get(url)
    assert_page_language(english, "en")
    assert switcher_of(english) == ("fr", url, "Français")
    client.post(reverse("set_language"), {"language": "fr", "next": url})
    assert_page_language(client.get(url), "fr")


@pytest.mark.django_db
def test_the_login_page_has_a_language_switcher(client):
    assert_switches_language(client, reverse("accounts:login") + "?next=/portail/")


def test_the_portal_and_committee_area_have_a_language_switcher(client, programme, participant):
    committee = factories.CommitteeFactory(programme=programme, kind="steering")
    factories.CommitteeMemberFactory(committee=committee, user=participant.user)
    client.force_login(participant.user)
    assert_switches_language(client, reverse("portal:home"))
    assert_switches_language(client, reverse("sessions:list"))
    assert_switches_language(client, reverse("committee:detail", args=[committee.pk]))
