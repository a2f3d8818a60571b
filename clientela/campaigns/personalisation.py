"""The owner's e-mail templates: Jinja2 in its sandbox, seeing only the variables listed
here as plain strings (decision 0016).

``template_check`` refuses at save a template that does not parse, uses a variable not
on the list, or reaches for another template, naming the line. ``message_render`` makes
a message's subject, text and HTML: customer fields are escaped for what they land in
(HTML, or Markdown, where a name could otherwise make a link), and a Markdown body's own
HTML is not passed through, an HTML body is cleaned to a short list of tags.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

import nh3
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt

MARKDOWN = "markdown"
HTML = "html"

# The variables a template may use, with what each holds.
VARIABLES = {
    "name": _("the customer's name"),
    "first_name": _("the main contact's first name, else a person's own, else the customer's name"),
    "contact_name": _("the main contact's full name, else the customer's name"),
    "city": _("the city of the customer's default address"),
    "owner_name": _("the name of the customer's salesperson"),
    "offer": _("the campaign's offer"),
    "business_name": _("the business's name"),
    "unsubscribe_url": _("the link that stops e-mail to this customer"),
}
# What an HTML body may keep: text structure, emphasis, links and tables.
HTML_TAGS = {
    "a", "b", "blockquote", "br", "em", "h1", "h2", "h3", "hr", "i", "li", "ol", "p",
    "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
HTML_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan"}}
# CommonMark's backslash-escapable characters: a value escaped this way is only text.
_LINK = re.compile(r"(https?://[^\s<>\"']+)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~&])")


def _environment(escape: str) -> ImmutableSandboxedEnvironment:
    """A sandbox with no loader (nothing to include) where a missing variable is an
    error; ``escape`` says how values are written: "html", "markdown" or "" (as is)."""

    def finalize(value):
        text = "" if value is None else str(value)
        if escape == MARKDOWN:
            return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
        return text

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=escape == HTML,
        finalize=finalize,
        keep_trailing_newline=True,
    )


_PLAIN = _environment("")
_FOR_HTML = _environment(HTML)
_FOR_MARKDOWN = _environment(MARKDOWN)
_MARKDOWN_IT = MarkdownIt("commonmark", {"html": False, "linkify": False})


def _refusal(field: str, line: int | None, problem: str) -> ValidationError:
    if line:
        message = _("Line %(line)s: %(problem)s") % {"line": line, "problem": problem}
    else:
        message = problem
    return ValidationError({field: [message]})


def template_check(text: str, field: str) -> None:
    """Refuse (ValidationError on ``field``, naming the line) a template that does not
    parse, uses a variable not in ``VARIABLES`` or reaches for another template."""
    try:
        tree = _PLAIN.parse(text)
    except TemplateSyntaxError as error:
        problem = _(
            "the {{ … }} or {%% … %%} marks are not written right (the template engine "
            "says: %(detail)s)."
        ) % {"detail": error.message or ""}
        raise _refusal(field, error.lineno, str(problem)) from None
    assigned = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        raise _refusal(field, node.lineno, str(_("A template cannot use another template.")))
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in VARIABLES and node.name not in assigned:
            raise _refusal(
                field,
                node.lineno,
                str(
                    _("“%(name)s” is not a variable a message may use; it may use %(names)s.")
                    % {"name": node.name, "names": ", ".join(VARIABLES)}
                ),
            )


@dataclass(frozen=True)
class Message:
    """A rendered message."""

    subject: str
    text: str
    html: str


@functools.lru_cache(maxsize=128)
def _compiled(environment: ImmutableSandboxedEnvironment, source: str) -> Template:
    """``source`` compiled once for ``environment``: a campaign renders the same few
    templates for every member, and compiling costs far more than rendering."""
    return environment.from_string(source)


def _render(environment, source: str, values: Mapping[str, str], field: str) -> str:
    try:
        return _compiled(environment, source).render(**values)
    except (UndefinedError, SecurityError, TemplateSyntaxError) as error:
        line = getattr(error, "lineno", None)
        raise _refusal(field, line, str(error)) from None


def _html_body(body: str, values: Mapping[str, str]) -> str:
    return nh3.clean(
        _render(_FOR_HTML, body, values, "body"),
        tags=HTML_TAGS,
        attributes=HTML_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
    )


def _html_text(body_html: str) -> str:
    """Words of ``body_html`` as plain text: paragraphs and headings apart by a blank
    line, a bullet per list item."""
    text = re.sub(r"<li>", "• ", body_html)
    text = re.sub(r"</li>\s*|<br\s*/?>", "\n", text)
    text = re.sub(r"</p>\s*|</h\d>\s*", "\n\n", text)
    text = html.unescape(nh3.clean(text, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text)


def message_text(*, body: str, body_format: str, values: Mapping[str, str]) -> str:
    """The plain text of ``body`` for ``values``, without a footer: a letter's or a call
    script's words, Markdown's marks taken out. Raises ValidationError on ``body`` when
    it does not render."""
    if body_format == MARKDOWN:
        return _html_text(_MARKDOWN_IT.render(_render(_FOR_MARKDOWN, body, values, "body"))).strip()
    return _html_text(_html_body(body, values)).strip()


def message_render(
    *, subject: str, body: str, body_format: str, values: Mapping[str, str], footer: str
) -> Message:
    """The message of ``subject`` and ``body`` (Markdown or HTML) for ``values`` (every
    name of ``VARIABLES``), with ``footer`` (plain text, e.g. how to unsubscribe) after
    it. Raises ValidationError on ``subject`` or ``body`` when a template does not
    render."""
    subject_text = " ".join(_render(_PLAIN, subject, values, "subject").split())
    if body_format == MARKDOWN:
        text = _render(_PLAIN, body, values, "body")
        body_html = _MARKDOWN_IT.render(_render(_FOR_MARKDOWN, body, values, "body"))
    else:
        body_html = _html_body(body, values)
        text = _html_text(body_html)
    footer_html = _LINK.sub(r'<a href="\1">\1</a>', html.escape(footer)).replace("\n", "<br>")
    footer_html = f"<p><small>{footer_html}</small></p>"
    return Message(
        subject=subject_text,
        text=f"{text.rstrip()}\n\n-- \n{footer}\n",
        html=f"{body_html}\n<hr>\n{footer_html}\n",
    )
