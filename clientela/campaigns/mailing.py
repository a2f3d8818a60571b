"""Direct mail's files (decision 0017): a member's delivery address as lines, sheets of
address labels and personalised letters as PDF, drawn with fpdf2 in the vendored DejaVu
Sans (Latin, accents and Cyrillic).

Nothing here reads the database: ``mail_row`` reads what ``selectors.mail_recipients``
prefetched, the PDFs are drawn from plain values. Text never leaves its box: a label's
lines are set in the largest size that fits (down to ``SMALLEST`` points), then cut
with "…"; a letter's body is wrapped to the page and goes on over as many pages as it
needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from clientela.campaigns.models import CampaignMember
from clientela.campaigns.recipients import delivery_address, main_contact
from clientela.core.validators import country_name

FONT = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
FAMILY = "dejavu"
INCH = 25.4  # millimetres
POINT = INCH / 72  # millimetres
LEADING = 1.2  # line height, in font sizes
LARGEST, SMALLEST = 10.0, 5.0  # a label's font sizes, in points
ELLIPSIS = "…"
# Countries whose addresses end "City REGION POSTAL-CODE" rather than "POSTAL-CODE City".
CITY_FIRST = frozenset({"US", "CA", "AU"})


@dataclass(frozen=True)
class MailRow:
    """One member's delivery: whom to, where, in which language."""

    member_id: int
    customer_id: int
    name: str
    contact: str
    street: str
    neighborhood: str
    postal_code: str
    city: str
    region: str
    country: str
    language: str

    def address_lines(self, home_country: str) -> list[str]:
        """The lines of the envelope: name, contact (when another), street,
        neighbourhood, the city line, the region, the country (when not ``home_country``)."""
        if self.country in CITY_FIRST:
            city = " ".join(
                part for part in (f"{self.city},", self.region, self.postal_code) if part
            )
            region = ""
        else:
            city = " ".join(part for part in (self.postal_code, self.city) if part)
            region = self.region
        lines = [
            self.name,
            self.contact if self.contact != self.name else "",
            self.street,
            self.neighborhood,
            city,
            region,
            country_name(self.country).upper()
            if self.country and self.country != home_country
            else "",
        ]
        return [line for line in lines if line]


def mail_row(member: CampaignMember) -> MailRow:
    """``member``'s delivery, from their customer's prefetched main contact and default
    address (blank when the customer has none any more)."""
    customer = member.customer
    contact = main_contact(customer)
    address = delivery_address(customer)
    return MailRow(
        member_id=member.pk,
        customer_id=customer.pk,
        name=customer.name,
        contact=contact.name if contact is not None else "",
        street=address.street if address is not None else "",
        neighborhood=address.neighborhood if address is not None else "",
        postal_code=address.postal_code if address is not None else "",
        city=address.city if address is not None else "",
        region=address.region if address is not None else "",
        country=address.country if address is not None else customer.country,
        language=customer.language,
    )


# --- label sheets -------------------------------------------------------------------


@dataclass(frozen=True)
class LabelSheet:
    """A sheet of labels, in millimetres: the page, the grid, a label's size, the
    margins to the first label, the pitch from one label to the next, and the blank
    kept inside each label."""

    title: str
    page: tuple[float, float]
    columns: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    pitch_x: float
    pitch_y: float
    padding_x: float
    padding_y: float

    @property
    def per_page(self) -> int:
        """Labels on one sheet."""
        return self.columns * self.rows


A4 = (210.0, 297.0)
LETTER = (8.5 * INCH, 11 * INCH)
LABEL_SHEETS: dict[str, LabelSheet] = {
    "a4_21": LabelSheet(
        "A4, 3 × 7, 70 × 42.3 mm (Avery 3652)",
        A4, 3, 7, 70.0, 42.3, left=0.0, top=0.45, pitch_x=70.0, pitch_y=42.3,
        padding_x=6.0, padding_y=4.0,
    ),
    "l7160": LabelSheet(
        "A4, 3 × 7, 63.5 × 38.1 mm (Avery L7160)",
        A4, 3, 7, 63.5, 38.1, left=7.21, top=15.15, pitch_x=66.04, pitch_y=38.1,
        padding_x=4.0, padding_y=3.0,
    ),
    "a4_14": LabelSheet(
        "A4, 2 × 7, 99.1 × 38.1 mm (Avery L7163)",
        A4, 2, 7, 99.1, 38.1, left=4.65, top=15.15, pitch_x=101.6, pitch_y=38.1,
        padding_x=5.0, padding_y=3.0,
    ),
    "letter_30": LabelSheet(
        "US Letter, 3 × 10, 2⅝ × 1 in (Avery 5160)",
        LETTER, 3, 10, 2.625 * INCH, 1.0 * INCH, left=0.1875 * INCH, top=0.5 * INCH,
        pitch_x=2.75 * INCH, pitch_y=1.0 * INCH, padding_x=3.0, padding_y=1.5,
    ),
}  # fmt: skip


class _Document:
    """An fpdf2 document in DejaVu Sans that measures text once per string and size."""

    def __init__(self, page: tuple[float, float], title: str):
        self.pdf = FPDF(unit="mm", format=page)
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margin(0)
        self.pdf.add_font(FAMILY, fname=str(FONT))
        self.pdf.set_font(FAMILY, size=LARGEST)
        self.pdf.set_title(title)
        self.pdf.set_creator("Clientela")
        self.size = LARGEST
        self._widths: dict[str, float] = {}

    def font_size(self, size: float) -> None:
        if size != self.size:
            self.pdf.set_font_size(size)
            self.size = size

    def width(self, text: str, size: float) -> float:
        """``text``'s width in millimetres at ``size`` points."""
        unit = self._widths.get(text)
        if unit is None:
            self.font_size(LARGEST)
            unit = self.pdf.get_string_width(text) / LARGEST
            if len(self._widths) < 100_000:
                self._widths[text] = unit
        return unit * size

    def cut(self, text: str, width: float, size: float) -> str:
        """``text`` cut short with "…" to fit ``width`` at ``size``."""
        if self.width(text, size) <= width:
            return text
        low, high = 0, len(text)
        while low < high:  # the longest start that fits with the ellipsis
            middle = (low + high + 1) // 2
            if self.width(text[:middle].rstrip() + ELLIPSIS, size) <= width:
                low = middle
            else:
                high = middle - 1
        return text[:low].rstrip() + ELLIPSIS if low else ""

    def fit(
        self, lines: Sequence[str], width: float, height: float, largest: float = LARGEST
    ) -> tuple[float, list[str]]:
        """The largest size from ``largest`` down to ``SMALLEST`` (by half points) at
        which ``lines`` fit ``width`` × ``height``, a line too wide broken at its spaces;
        at the smallest, each line cut to the width (and, past the height, the last line
        kept in place of those before it: the city and country matter most)."""
        size = largest
        while size >= SMALLEST:
            fitted = [part for line in lines for part in self.wrap(line, width, size)]
            if len(fitted) * size * LEADING * POINT <= height and all(
                self.width(line, size) <= width for line in fitted
            ):
                return size, fitted
            size -= 0.5
        size = SMALLEST
        room = max(int(height // (size * LEADING * POINT)), 1)
        cut = [self.cut(line, width, size) for line in lines]
        return size, cut if len(cut) <= room else [*cut[: room - 1], cut[-1]]

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        """``text`` broken into lines no wider than ``width`` at ``size``: at spaces,
        and inside a word only when the word alone is wider."""
        lines: list[str] = []
        space = self.width(" ", size)
        line, used = "", 0.0
        for word in text.split():
            length = self.width(word, size)
            while length > width:  # a word longer than the line: cut where it must
                if line:
                    lines.append(line)
                    line, used = "", 0.0
                head = self.cut(word, width, size)[:-1] or word[:1]
                lines.append(head)
                word = word[len(head) :]
                length = self.width(word, size)
            if line and used + space + length > width:
                lines.append(line)
                line, used = "", 0.0
            line, used = (f"{line} {word}", used + space + length) if line else (word, length)
        lines.append(line)
        return lines

    def block(self, x: float, y: float, lines: Sequence[str], size: float) -> None:
        """Write ``lines`` at ``size`` from the top-left corner (``x``, ``y``)."""
        self.font_size(size)
        leading = size * LEADING * POINT
        baseline = y + size * POINT  # the first line's baseline, an ascent below the top
        for line in lines:
            if line:
                self.pdf.text(x, baseline, line)
            baseline += leading

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def labels_pdf(addresses: Iterable[Sequence[str]], *, sheet: LabelSheet, title: str) -> bytes:
    """A PDF of address labels on ``sheet``, one label per address (its lines), row by
    row, each block centred in its label's height and fitted inside it."""
    document = _Document(sheet.page, title)
    inner_width = sheet.width - 2 * sheet.padding_x
    inner_height = sheet.height - 2 * sheet.padding_y
    position = 0
    for lines in addresses:
        place = position % sheet.per_page
        if place == 0:
            document.pdf.add_page()
        row, column = divmod(place, sheet.columns)
        size, fitted = document.fit(lines, inner_width, inner_height)
        used = len(fitted) * size * LEADING * POINT
        x = sheet.left + column * sheet.pitch_x + sheet.padding_x
        y = sheet.top + row * sheet.pitch_y + sheet.padding_y + (inner_height - used) / 2
        document.block(x, y, fitted, size)
        position += 1
    if position == 0:
        document.pdf.add_page()
    return document.output()


# --- letters ------------------------------------------------------------------------


@dataclass(frozen=True)
class Paper:
    """A letter's page and where things go on it, in millimetres: the window of the
    envelope it is folded into (the return line at its top, the address under it), the
    date's line, and the body's margins."""

    title: str
    page: tuple[float, float]
    window: tuple[float, float, float, float]  # x, y, width, height
    date_y: float
    left: float
    right: float
    top: float
    bottom: float
    body_y: float


PAPERS: dict[str, Paper] = {
    # DIN 5008 form B in a DL or C5/6 window envelope (window 90 × 45 mm, 20 mm from the
    # left, 45 mm from the top).
    "a4": Paper(
        "A4", A4, window=(20.0, 45.0, 85.0, 45.0), date_y=98.0,
        left=25.0, right=20.0, top=20.0, bottom=25.0, body_y=110.0,
    ),
    # A #10 window envelope (window 4½ × 1⅛ in, ⅞ in from the left), the letter folded
    # in three: the address 2 in from the top of the page.
    "letter": Paper(
        "US Letter", LETTER, window=(0.875 * INCH, 1.875 * INCH, 4.0 * INCH, 1.125 * INCH),
        date_y=84.0, left=1.0 * INCH, right=1.0 * INCH, top=0.75 * INCH,
        bottom=1.0 * INCH, body_y=95.0,
    ),
}  # fmt: skip
SENDER_SIZE = 14.0
RETURN_SIZE = 6.5
BODY_SIZE = 11.0


@dataclass(frozen=True)
class Letter:
    """One letter: the recipient's address lines, the date as the recipient writes it,
    and the body as plain text (blank lines between paragraphs)."""

    address: Sequence[str]
    date: str
    body: str


def _wrapped(document: _Document, text: str, width: float, size: float) -> list[str]:
    """``text``'s lines, each broken to ``width`` at ``size``; no blank lines at the end."""
    lines = [part for line in text.splitlines() for part in document.wrap(line, width, size)]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def letters_pdf(
    letters: Iterable[Letter], *, paper: Paper, sender: Sequence[str], title: str
) -> bytes:
    """A PDF of ``letters``, each starting on a new page: ``sender`` (the business's
    lines) at the top, the recipient's address in the envelope's window under a
    one-line return address, the date, then the body over as many pages as it needs."""
    document = _Document(paper.page, title)
    pdf = document.pdf
    width = paper.page[0] - paper.left - paper.right
    leading = BODY_SIZE * LEADING * POINT
    return_line = " · ".join(sender)
    window_x, window_y, window_width, window_height = paper.window
    return_height = RETURN_SIZE * LEADING * POINT + 1.0
    sender_size, sender_lines = document.fit(sender, width, 20.0, largest=SENDER_SIZE)
    for letter in letters:
        pdf.add_page()
        document.block(paper.left, paper.top, sender_lines, sender_size)
        document.block(
            window_x,
            window_y,
            [document.cut(return_line, window_width, RETURN_SIZE)],
            RETURN_SIZE,
        )
        size, address = document.fit(
            letter.address, window_width, window_height - return_height - 2.0
        )
        document.block(window_x, window_y + return_height + 1.0, address, size)
        document.font_size(BODY_SIZE)
        date_width = document.width(letter.date, BODY_SIZE)
        document.block(
            paper.page[0] - paper.right - date_width, paper.date_y, [letter.date], BODY_SIZE
        )
        y = paper.body_y
        for line in _wrapped(document, letter.body, width, BODY_SIZE):
            if y + leading > paper.page[1] - paper.bottom:
                pdf.add_page()
                y = paper.top
            document.block(paper.left, y, [line], BODY_SIZE)
            y += leading
    if pdf.page == 0:
        pdf.add_page()
    return document.output()
