"""The besluitenlijst as an A4 PDF, set in the bundled DejaVu Sans."""

import re
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos

from app import i18n
from app.exports import wording
from app.exports.data import ACTIONS, CONTRIBUTIONS, OBSTACLES, ActionRow, DecisionList, QuestionResult
from app.exports.results import ChoiceResult, GradeResult, MosaicTile
from app.i18n import N_, current_locale, gettext

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
# emoji come from Symbola where the system has it (Debian's fonts-symbola: `make fonts`, the Dockerfile); it is
# 3 MB, too large to bundle. Without it an emoji is drawn as the placeholder, as before
EMOJI_FONT = Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf")
EMOJI_FAMILY = "Symbola"
# a character the font has no glyph for (most emoji) is drawn as this, not left out and not a crash
PLACEHOLDER = "\u25a1"
# joiners and emoji presentation selectors only make sense next to a glyph we cannot draw anyway
_INVISIBLE = re.compile("[\u200d\ufe0e\ufe0f]")
# the colours of static/css/app.css
INK = (20, 33, 46)
MUTED = (91, 104, 119)
BRAND = (20, 56, 92)
ACCENT = (244, 185, 66)
LINE = (220, 216, 207)
SHADE = (245, 243, 238)
OK = (31, 122, 77)
# a mosaic tile's background by its level, as on the projector
TILE_FILLS = {"good": (231, 244, 236), "fair": SHADE, "poor": (253, 236, 234), "none": (255, 255, 255)}
TILES_PER_ROW = 7


def emoji_font() -> Path | None:
    """The fallback font for emoji, if the system has it."""
    return EMOJI_FONT if EMOJI_FONT.is_file() else None


@cache
def _glyphs(font: Path) -> frozenset[int]:
    return frozenset(TTFont(font).getBestCmap())


@cache
def _drawable() -> frozenset[int]:
    """The code points both the regular and the bold font have a glyph for, and those of the emoji font."""
    glyphs = _glyphs(FONTS / "DejaVuSans.ttf") & _glyphs(FONTS / "DejaVuSans-Bold.ttf")
    fallback = emoji_font()
    return glyphs | _glyphs(fallback) if fallback else glyphs


def drawable(text: str) -> str:
    """Text the font can draw: every character without a glyph becomes the placeholder."""
    glyphs = _drawable()
    text = _INVISIBLE.sub("", text).replace("\t", " ")
    return "".join(ch if ord(ch) in glyphs or ch == "\n" else PLACEHOLDER for ch in text)


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.running_title = title
        self.footer_text = ""

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.running_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        page = gettext(N_("Pagina {page} van {pages}")).format(page=self.page_no(), pages="{nb}")
        self.cell(0, 5, page, align="R")


class _Writer:
    """Lays out the besluitenlijst on A4 pages."""

    def __init__(self, decisions: DecisionList) -> None:
        self.decisions = decisions
        workshop = decisions.workshop
        title = drawable(workshop.title)
        pdf = _Document(f"{gettext(N_('Besluitenlijst'))} · {title}")
        pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        fallback = emoji_font()
        if fallback:
            pdf.add_font(EMOJI_FAMILY, "", fallback)
            # bold text draws its emoji from the regular face: Symbola has no bold
            pdf.set_fallback_fonts([EMOJI_FAMILY], exact_match=False)
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(auto=True, margin=20)
        pdf.set_title(f"{gettext(N_('Besluitenlijst'))}: {title}")
        pdf.set_author("Doorbraak")
        pdf.set_creator("Doorbraak")
        pdf.set_lang(current_locale.get())
        pdf.set_creation_date(decisions.generated_at)
        pdf.footer_text = gettext(N_("Gemaakt op {day}")).format(day=wording.moment(decisions.generated_at))
        self.pdf = pdf

    def write(self) -> bytes:
        pdf = self.pdf
        pdf.add_page()
        self.title_block()
        self.opgave()
        if self.decisions.review is not None:
            self.review()
        if self.decisions.mosaic is not None:
            self.mosaic()
        if self.decisions.results:
            self.results()
        if OBSTACLES in self.decisions.sections:
            self.obstacles()
        if CONTRIBUTIONS in self.decisions.sections:
            self.contributions()
        if ACTIONS in self.decisions.sections:
            self.actions()
        self.followup()
        return bytes(pdf.output())

    def room_for(self, height: float) -> None:
        """A new page unless this much fits on the current one, so a chart or block is never cut in two."""
        if self.pdf.get_y() > self.pdf.h - self.pdf.b_margin - height:
            self.pdf.add_page()

    def heading(self, text: str, *, keep: float = 30) -> None:
        pdf = self.pdf
        # keep a heading with the first lines under it
        self.room_for(keep)
        pdf.ln(5)
        pdf.set_font(FAMILY, "B", 13)
        pdf.set_text_color(*BRAND)
        pdf.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2.5)
        self.body()

    def body(self, size: float = 10, style: str = "") -> None:
        self.pdf.set_font(FAMILY, style, size)
        self.pdf.set_text_color(*INK)

    def paragraph(self, text: str, *, size: float = 10, style: str = "", color: tuple[int, int, int] = INK) -> None:
        pdf = self.pdf
        pdf.set_font(FAMILY, style, size)
        pdf.set_text_color(*color)
        pdf.multi_cell(0, size * 0.5, drawable(text.strip()), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def muted(self, text: str) -> None:
        self.paragraph(text, size=9.5, color=MUTED)

    def title_block(self) -> None:
        workshop = self.decisions.workshop
        self.paragraph(gettext(N_("Besluitenlijst")).upper(), size=9, style="B", color=BRAND)
        self.pdf.ln(1)
        self.paragraph(workshop.title, size=20, style="B")
        self.pdf.ln(1)
        held = gettext(N_("Gehouden op {day}")).format(day=wording.day(workshop.held_on))
        self.muted(held)

    def opgave(self) -> None:
        pdf = self.pdf
        self.heading(gettext(N_("Opgave")))
        top = pdf.get_y()
        pdf.set_x(pdf.l_margin + 4)
        pdf.set_font(FAMILY, "", 11)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5.5, drawable(self.decisions.workshop.opgave), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if pdf.page_no() == 1 or pdf.get_y() > top:
            pdf.set_fill_color(*ACCENT)
            pdf.rect(pdf.l_margin, top, 1.4, pdf.get_y() - top, style="F")
        pdf.set_fill_color(255, 255, 255)

    def review(self) -> None:
        review = self.decisions.review
        assert review is not None
        self.heading(gettext(N_("Wat is er bewogen")))
        self.muted(wording.review_source(review))
        if not review.items:
            if review.workshop_id is not None:
                self.muted(gettext(N_("Alle afspraken van die workshop waren de vorige keer al klaar.")))
            return
        self.pdf.ln(1)
        self.paragraph(wording.review_summary(review), size=10, style="B")
        self.pdf.ln(1.5)
        pdf = self.pdf
        pdf.set_font(FAMILY, "", 9)
        with pdf.table(
            col_widths=(44, 26, 16, 21, 53),
            text_align="LEFT",
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            cell_fill_mode=TableCellFillMode.NONE,
            headings_style=FontFace(emphasis="BOLD", color=BRAND, fill_color=SHADE),
            line_height=4.6,
            padding=(1.4, 1.5),
            v_align="TOP",
        ) as table:
            table.row([gettext(h) for h in (N_("Actie"), N_("Eigenaar"), N_("Was"), N_("Nu"), N_("Toelichting"))])
            pdf.set_draw_color(*LINE)
            for item in review.items:
                row = table.row()
                row.cell(drawable(item.title))
                row.cell(drawable(item.owner))
                row.cell(wording.status_name(item.before))
                now = wording.review_now(item)
                if item.moved:
                    row.cell(f"{now} ↑", style=FontFace(emphasis="BOLD", color=OK))
                else:
                    row.cell(now, style=None if item.reported else FontFace(color=MUTED))
                row.cell(drawable(item.note) or "–")

    def mosaic(self) -> None:
        mosaic = self.decisions.mosaic
        assert mosaic is not None
        pdf = self.pdf
        per_row = min(TILES_PER_ROW, len(mosaic.tiles))
        gap, height = 2.0, 30.0
        width = min(40.0, (pdf.epw - gap * (per_row - 1)) / per_row)
        rows = -(-len(mosaic.tiles) // per_row)
        self.heading(gettext(N_("Het mozaïek")), keep=rows * (height + gap) + 20)
        top = pdf.get_y() + 1
        for index, tile in enumerate(mosaic.tiles):
            x = pdf.l_margin + (index % per_row) * (width + gap)
            y = top + (index // per_row) * (height + gap)
            self.tile(tile, x, y, width, height)
        pdf.set_xy(pdf.l_margin, top + rows * (height + gap) + 1)
        self.muted(wording.mosaic_legend(mosaic))

    def tile(self, tile: MosaicTile, x: float, y: float, width: float, height: float) -> None:
        pdf = self.pdf
        pdf.set_fill_color(*TILE_FILLS[tile.level])
        pdf.set_draw_color(*(ACCENT if tile.weakest else LINE))
        pdf.set_line_width(0.9 if tile.weakest else 0.3)
        pdf.rect(x, y, width, height, style="DF", round_corners=True, corner_radius=1.5)
        pdf.set_line_width(0.3)
        name = drawable(tile.tile)
        # a long single word ("Verankering") shrinks to fit rather than break mid-word
        size = 8.0
        pdf.set_font(FAMILY, "B", size)
        room = width - 2 - 2 * pdf.c_margin
        while size > 6 and max(pdf.get_string_width(word) for word in name.split() or [""]) > room:
            size -= 0.5
            pdf.set_font(FAMILY, "B", size)
        pdf.set_xy(x + 1, y + 2)
        pdf.set_text_color(*BRAND)
        pdf.multi_cell(width - 2, 3.6, name, align="C", max_line_height=3.6)
        pdf.set_xy(x, y + 9.5)
        pdf.set_font(FAMILY, "B", 17)
        pdf.set_text_color(*INK)
        pdf.cell(width, 8, wording.figure(tile.mean, decimals=1), align="C")
        pdf.set_font(FAMILY, "", 6.8)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x, y + 18.5)
        pdf.cell(width, 3.2, gettext(N_("spreiding {spread}")).format(spread=wording.figure(tile.spread)), align="C")
        pdf.set_xy(x, y + 21.7)
        pdf.cell(width, 3.2, wording.grade_count(tile.count), align="C")
        if tile.weakest:
            pdf.set_xy(x, y + height - 4.6)
            pdf.set_font(FAMILY, "B", 6.8)
            pdf.set_text_color(*INK)
            pdf.cell(width, 3.4, gettext(N_("vraagt aandacht")), align="C")

    def results(self) -> None:
        self.heading(gettext(N_("Uitkomsten per vraag")))
        for number, group in enumerate(self.decisions.result_groups):
            # a title, its prompt and a chart or the first answers stay on one page
            self.room_for(45)
            if number:
                self.pdf.ln(3)
            self.paragraph(group.title, size=11, style="B", color=BRAND)
            for result in group.results:
                if result.prompt:
                    self.pdf.ln(0.8)
                    self.paragraph(result.prompt, size=9.5, color=MUTED)
                self.pdf.ln(1)
                if isinstance(result, GradeResult):
                    self.grade(result)
                elif isinstance(result, ChoiceResult):
                    self.choice(result)
                elif isinstance(result, QuestionResult):
                    self.question(result)

    def grade(self, result: GradeResult) -> None:
        pdf = self.pdf
        self.room_for(26)
        column, bar, chart = 7.5, 5.0, 13.0
        # the figures on the left, the columns per grade on the right
        left = pdf.l_margin + pdf.epw - column * len(result.distribution)
        start = pdf.get_y()
        pdf.set_font(FAMILY, "B", 15)
        pdf.set_text_color(*BRAND)
        pdf.cell(18, 8, wording.figure(result.mean, decimals=1))
        pdf.set_font(FAMILY, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 8, gettext(N_("gemiddeld")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        details = wording.grade_details(result.median, result.spread, result.count)
        pdf.multi_cell(left - pdf.l_margin - 6, 4.4, details, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        text_bottom = pdf.get_y()
        top = start + 3.5
        for index, count in enumerate(result.distribution):
            x = left + index * column
            high = chart * count.count / result.most
            pdf.set_fill_color(*(BRAND if count.count else LINE))
            pdf.rect(x + (column - bar) / 2, top + chart - max(high, 0.4), bar, max(high, 0.4), style="F")
            pdf.set_font(FAMILY, "", 7)
            pdf.set_text_color(*INK)
            if count.count:
                pdf.set_xy(x, top + chart - high - 3.4)
                pdf.cell(column, 3, i18n.number(count.count), align="C")
            pdf.set_text_color(*MUTED)
            pdf.set_xy(x, top + chart + 0.6)
            pdf.cell(column, 3, str(count.grade), align="C")
        pdf.set_xy(pdf.l_margin, max(text_bottom, top + chart + 4.5))

    def choice(self, result: ChoiceResult) -> None:
        pdf = self.pdf
        self.room_for(8 + 6 * len(result.options))
        label, track = 62.0, 80.0
        for option in result.options:
            y = pdf.get_y()
            pdf.set_font(FAMILY, "", 9.5)
            pdf.set_text_color(*INK)
            pdf.multi_cell(label, 4.6, drawable(option.label), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            bottom = pdf.get_y()
            pdf.set_fill_color(*SHADE)
            pdf.rect(pdf.l_margin + label + 2, y + 1, track, 2.8, style="F")
            pdf.set_fill_color(*BRAND)
            if option.count:
                pdf.rect(pdf.l_margin + label + 2, y + 1, track * option.count / result.most, 2.8, style="F")
            pdf.set_xy(pdf.l_margin + label + track + 4, y)
            pdf.set_font(FAMILY, "B", 9.5)
            pdf.cell(10, 4.6, i18n.number(option.count), align="R")
            pdf.set_xy(pdf.l_margin, max(bottom, y + 4.6) + 1)
        self.muted(wording.chooser_count(result.count))

    def question(self, result: QuestionResult) -> None:
        if not result.answers:
            self.muted(gettext(N_("Geen antwoorden.")))
            return
        if not result.themes:
            for answer in result.answers:
                self.bullet(answer.text, detail=answer.label if answer.author else "")
            return
        for group in result.by_theme:
            self.room_for(14)
            self.pdf.ln(1)
            self.paragraph(wording.theme(group.theme), size=9.5, style="B")
            for answer in group.answers:
                self.bullet(answer.text, detail=answer.label if answer.author else "")

    def obstacles(self) -> None:
        self.heading(gettext(N_("Obstakels op volgorde van stemmen")))
        if not self.decisions.obstacles:
            self.muted(gettext(N_("Geen obstakels.")))
            return
        pdf = self.pdf
        pdf.set_font(FAMILY, "", 9)
        headings = FontFace(emphasis="BOLD", color=BRAND, fill_color=SHADE)
        focus = gettext(N_("focus"))
        with pdf.table(
            col_widths=(17, 46, 22, 22, 22),
            text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT"),
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            cell_fill_mode=TableCellFillMode.NONE,
            headings_style=headings,
            line_height=4.6,
            padding=(1.4, 1.5),
            v_align="TOP",
        ) as table:
            headers = (N_("Stemmen"), N_("Obstakel"), N_("Cluster"), N_("Spanning · thema"), N_("Organisatie"))
            table.row([gettext(h) for h in headers])
            pdf.set_draw_color(*LINE)
            for o in self.decisions.obstacles:
                row = table.row()
                shown = o.shown_votes
                row.cell(
                    "" if shown is None else i18n.number(shown), style=FontFace(emphasis="BOLD") if shown else None
                )
                row.cell(drawable(o.text + (f"  ({focus})" if o.focus else "")))
                row.cell(drawable(o.cluster or "–"))
                tags = " · ".join(t for t in (wording.tension(o.tension), wording.theme_label(o.theme)) if t)
                row.cell(drawable(tags or "–"))
                row.cell(drawable(o.organisation))

    def contributions(self) -> None:
        self.heading(gettext(N_("Bijdragen per organisatie")))
        if not self.decisions.contributions:
            self.muted(gettext(N_("Geen bijdragen.")))
            return
        pdf = self.pdf
        for group in self.decisions.contributions:
            if pdf.get_y() > pdf.h - pdf.b_margin - 18:
                pdf.add_page()
            pdf.ln(1.5)
            self.paragraph(group.organisation, size=10.5, style="B", color=BRAND)
            for c in group.contributions:
                self.bullet(c.text, detail=self._contribution_detail(c.author, c.obstacle))

    def _contribution_detail(self, author: str, obstacle: str) -> str:
        parts = [author] if author else []
        if obstacle:
            parts.append(gettext(N_("bij obstakel: {text}")).format(text=obstacle))
        return " · ".join(parts)

    def bullet(self, text: str, *, detail: str = "") -> None:
        pdf = self.pdf
        pdf.ln(0.6)
        pdf.set_font(FAMILY, "", 10)
        pdf.set_text_color(*MUTED)
        pdf.cell(5, 5, "•")
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5, drawable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if detail:
            pdf.set_x(pdf.l_margin + 5)
            pdf.set_font(FAMILY, "", 8.5)
            pdf.set_text_color(*MUTED)
            pdf.multi_cell(0, 4.2, drawable(detail), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def actions(self) -> None:
        self.heading(gettext(N_("Acties")), keep=55)
        if not self.decisions.actions:
            self.muted(gettext(N_("Nog geen acties afgesproken.")))
            return
        for number, action in enumerate(self.decisions.actions, start=1):
            self.action(number, action)

    def action(self, number: int, action: ActionRow) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - pdf.b_margin - 40:
            pdf.add_page()
        pdf.ln(2)
        self.paragraph(f"{number}. {action.title}", size=11.5, style="B")
        if action.description:
            pdf.ln(0.5)
            self.paragraph(action.description, size=10)
        pdf.ln(1)
        fields = [
            (N_("Eigenaar"), action.owner),
            (N_("Samen met"), ", ".join(action.partners)),
            (N_("Contactpersoon"), action.contact),
            (N_("Deadline"), wording.day(action.due_on) or gettext(N_("geen"))),
            (N_("Status"), wording.status(action)),
            (N_("Obstakel"), action.obstacle),
            (N_("Vrijwilligers"), wording.volunteers(action) or gettext(N_("nog niemand"))),
        ]
        pdf.set_font(FAMILY, "", 9.5)
        with pdf.table(
            col_widths=(1, 4),
            text_align="LEFT",
            borders_layout=TableBordersLayout.NONE,
            cell_fill_mode=TableCellFillMode.NONE,
            first_row_as_headings=False,
            line_height=4.8,
            padding=(0.6, 1, 0.6, 0),
            v_align="TOP",
        ) as table:
            for label, value in fields:
                if not value:
                    continue
                row = table.row()
                row.cell(gettext(label), style=FontFace(emphasis="BOLD", color=MUTED))
                row.cell(drawable(value))
        pdf.set_draw_color(*LINE)
        pdf.ln(1.5)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())

    def followup(self) -> None:
        self.heading(gettext(N_("Vervolgafspraak")))
        self.paragraph(wording.followup(self.decisions.workshop), size=11, style="B")


def decision_list_pdf(decisions: DecisionList) -> bytes:
    """The besluitenlijst on A4: the opgave, then the parts the format has, then the follow-up."""
    return _Writer(decisions).write()
