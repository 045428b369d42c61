//! Small printed documents for Concord: headings, paragraphs, tables and bar charts on A4
//! pages, set in DejaVu Sans (embedded, so Cyrillic prints on an air-gapped machine and
//! nothing is fetched), with a footer line on every page.
//!
//! The output is a pure function of what was written: no clock, no random identifier, no
//! map iteration, so the same report gives the same bytes (its digest can be compared).
//! Layout is written here over `pdf-writer` (objects) and `ttf-parser` (glyphs and widths):
//! the PDF crates that lay out text bring far more than a report needs.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// The embedded font: DejaVu Sans (Bitstream Vera licence, see `fonts/DejaVu-LICENSE`).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BOTTOM: f32 = 64.0;

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded font could not be read (a broken build).
    #[error("the embedded font cannot be read: {0}")]
    Font(String),
}

/// One thing on a page, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A title, large.
    Title(String),
    /// A section heading.
    Heading(String),
    /// Running text, wrapped to the page.
    Paragraph(String),
    /// A table: the first row is the header; columns share the width by these weights.
    Table {
        /// Relative column widths.
        widths: Vec<u16>,
        /// Rows of cells, header first.
        rows: Vec<Vec<String>>,
    },
    /// Horizontal bars: a label and a value each.
    Bars(Vec<(String, u64)>),
}

/// A document being written.
#[derive(Debug, Clone, Default)]
pub struct Document {
    title: String,
    footer: String,
    blocks: Vec<Block>,
}

impl Document {
    /// A document with a title (its metadata) and a footer printed on every page.
    pub fn new(title: impl Into<String>, footer: impl Into<String>) -> Document {
        Document {
            title: title.into(),
            footer: footer.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a block.
    pub fn push(&mut self, block: Block) -> &mut Document {
        self.blocks.push(block);
        self
    }

    /// The PDF's bytes.
    pub fn render(&self) -> Result<Vec<u8>, PdfError> {
        let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| PdfError::Font(e.to_string()))?;
        let font = Font::new(&face);
        let mut layout = Layout::new(&font);
        for block in &self.blocks {
            layout.block(block);
        }
        let pages = layout.finish();
        Ok(write(&face, &font, &self.title, &self.footer, pages))
    }
}

/// Glyphs and widths of the embedded font, with the glyphs used so far.
struct Font<'a> {
    face: &'a ttf_parser::Face<'a>,
    scale: f32,
    used: std::cell::RefCell<BTreeMap<u16, char>>,
}

impl<'a> Font<'a> {
    fn new(face: &'a ttf_parser::Face<'a>) -> Font<'a> {
        Font {
            face,
            scale: 1000.0 / f32::from(face.units_per_em()),
            used: Default::default(),
        }
    }

    fn glyph(&self, c: char) -> u16 {
        let c = if c.is_control() { ' ' } else { c };
        let id = self.face.glyph_index(c).map_or(0, |g| g.0);
        self.used.borrow_mut().entry(id).or_insert(c);
        id
    }

    /// Width in thousandths of the size.
    fn advance(&self, glyph: u16) -> f32 {
        f32::from(
            self.face
                .glyph_hor_advance(ttf_parser::GlyphId(glyph))
                .unwrap_or(0),
        ) * self.scale
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// The glyph ids, two bytes each (Identity-H).
    fn encode(&self, text: &str) -> Vec<u8> {
        text.chars()
            .flat_map(|c| self.glyph(c).to_be_bytes())
            .collect()
    }

    /// Splits `text` into lines no wider than `width`.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size) <= width || line.is_empty() {
                    line = candidate;
                } else {
                    lines.push(std::mem::take(&mut line));
                    line = word.to_owned();
                }
                while self.width(&line, size) > width && line.chars().count() > 1 {
                    // A word longer than the line: cut it.
                    let mut cut = line.chars().count() - 1;
                    while cut > 1
                        && self.width(&line.chars().take(cut).collect::<String>(), size) > width
                    {
                        cut -= 1;
                    }
                    lines.push(line.chars().take(cut).collect());
                    line = line.chars().skip(cut).collect();
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// What goes on one page: text runs and filled rectangles.
#[derive(Default)]
struct Page {
    texts: Vec<(f32, f32, f32, String)>,
    rects: Vec<(f32, f32, f32, f32, [f32; 3])>,
}

struct Layout<'f> {
    font: &'f Font<'f>,
    pages: Vec<Page>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(font: &'f Font<'f>) -> Layout<'f> {
        Layout {
            font,
            pages: vec![Page::default()],
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Page::default());
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, text: String) {
        let y = self.y - size;
        self.pages
            .last_mut()
            .expect("a page")
            .texts
            .push((x, y, size, text));
    }

    fn lines(&mut self, text: &str, size: f32, gap: f32) {
        let width = PAGE_WIDTH - 2.0 * MARGIN;
        for line in self.font.wrap(text, size, width) {
            self.room(size * 1.35);
            self.text(MARGIN, size, line);
            self.y -= size * 1.35;
        }
        self.y -= gap;
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Title(t) => self.lines(t, 18.0, 8.0),
            Block::Heading(h) => {
                self.room(40.0);
                self.y -= 6.0;
                self.lines(h, 13.0, 4.0);
            }
            Block::Paragraph(p) => self.lines(p, 10.0, 6.0),
            Block::Table { widths, rows } => self.table(widths, rows),
            Block::Bars(bars) => self.bars(bars),
        }
    }

    fn table(&mut self, widths: &[u16], rows: &[Vec<String>]) {
        let size = 8.5;
        let total: f32 = widths.iter().map(|&w| f32::from(w)).sum::<f32>().max(1.0);
        let usable = PAGE_WIDTH - 2.0 * MARGIN;
        let columns: Vec<f32> = widths
            .iter()
            .map(|&w| usable * f32::from(w) / total)
            .collect();
        for (r, row) in rows.iter().enumerate() {
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(&columns)
                .map(|(cell, w)| self.font.wrap(cell, size, w - 4.0))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * size * 1.3 + 3.0;
            self.room(height);
            if r == 0 {
                let page = self.pages.last_mut().expect("a page");
                page.rects
                    .push((MARGIN, self.y - height, usable, height, [0.88, 0.9, 0.94]));
            }
            let mut x = MARGIN;
            for (lines, w) in cells.iter().zip(&columns) {
                let mut y = self.y - 1.5;
                for line in lines {
                    let page = self.pages.last_mut().expect("a page");
                    page.texts.push((x + 2.0, y - size, size, line.clone()));
                    y -= size * 1.3;
                }
                x += w;
            }
            self.y -= height;
        }
        self.y -= 8.0;
    }

    fn bars(&mut self, bars: &[(String, u64)]) {
        let size = 8.5;
        let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
        let label = 150.0;
        let span = PAGE_WIDTH - 2.0 * MARGIN - label - 40.0;
        for (name, value) in bars {
            self.room(size * 1.8);
            let width = span * *value as f32 / max as f32;
            let y = self.y;
            let page = self.pages.last_mut().expect("a page");
            page.rects.push((
                MARGIN + label,
                y - size - 1.0,
                width.max(0.5),
                size + 1.0,
                [0.23, 0.39, 0.62],
            ));
            page.texts.push((MARGIN, y - size, size, name.clone()));
            page.texts.push((
                MARGIN + label + width + 4.0,
                y - size,
                size,
                value.to_string(),
            ));
            self.y -= size * 1.8;
        }
        self.y -= 8.0;
    }

    fn finish(self) -> Vec<Page> {
        self.pages
    }
}

fn write(
    face: &ttf_parser::Face,
    font: &Font,
    title: &str,
    footer: &str,
    pages: Vec<Page>,
) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, info) = (id(), id(), id());
    let (type0, cid, descriptor, file, cmap) = (id(), id(), id(), id(), id());
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (id(), id())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|p| p.0))
        .count(page_ids.len() as i32);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Concord"));
    let count = pages.len();
    for (n, (page, (page_id, content_id))) in pages.into_iter().zip(&page_ids).enumerate() {
        let mut content = Content::new();
        for (x, y, w, h, [r, g, b]) in &page.rects {
            content
                .set_fill_rgb(*r, *g, *b)
                .rect(*x, *y, *w, *h)
                .fill_nonzero();
        }
        content.set_fill_rgb(0.0, 0.0, 0.0);
        let foot = format!("{footer} · {}/{count}", n + 1);
        let foot: Vec<(f32, f32, f32, String)> = font
            .wrap(&foot, 7.0, PAGE_WIDTH - 2.0 * MARGIN)
            .into_iter()
            .enumerate()
            .map(|(i, line)| (MARGIN, 40.0 - 9.0 * i as f32, 7.0, line))
            .collect();
        for (x, y, size, text) in page
            .texts
            .iter()
            .chain(&foot)
            .map(|(x, y, s, t)| (*x, *y, *s, t.as_str()))
        {
            content
                .begin_text()
                .set_font(Name(b"F1"), size)
                .next_line(x, y)
                .show(Str(&font.encode(text)))
                .end_text();
        }
        pdf.stream(*content_id, &content.finish());
        let mut p = pdf.page(*page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(*content_id);
        p.resources().fonts().pair(Name(b"F1"), type0);
        p.finish();
    }
    let info_cid = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(Name(b"DejaVuSans"))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let used = font.used.borrow();
    let mut c = pdf.cid_font(cid);
    c.subtype(CidFontType::Type2)
        .base_font(Name(b"DejaVuSans"))
        .system_info(info_cid)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    {
        let mut widths = c.widths();
        for &glyph in used.keys() {
            widths.consecutive(glyph, [font.advance(glyph)]);
        }
    }
    c.finish();
    let bbox = face.global_bounding_box();
    let scale = font.scale;
    pdf.font_descriptor(descriptor)
        .name(Name(b"DejaVuSans"))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(face.ascender()) * scale)
        .descent(f32::from(face.descender()) * scale)
        .cap_height(f32::from(face.capital_height().unwrap_or(face.ascender())) * scale)
        .stem_v(80.0)
        .font_file2(file);
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(FONT, 6);
    pdf.stream(file, &compressed)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), FONT.len() as i32);
    let mut unicode = UnicodeCmap::new(Name(b"Concord-UTF16"), info_cid);
    for (&glyph, &c) in used.iter() {
        unicode.pair(glyph, c);
    }
    pdf.cmap(cmap, &unicode.finish());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        let mut d = Document::new("Отчёт / Report", "sha256 0123");
        d.push(Block::Title("Годовой отчёт председательства".into()))
            .push(Block::Paragraph("Казахстан, 2024. ".repeat(40)))
            .push(Block::Table {
                widths: vec![2, 1],
                rows: vec![
                    vec!["Заседание".into(), "Дата".into()],
                    vec!["СКБ".into(), "2024-11-28".into()],
                ],
            })
            .push(Block::Bars(vec![
                ("Январь".into(), 3),
                ("February".into(), 0),
            ]));
        d
    }

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let a = sample().render().unwrap();
        let b = sample().render().unwrap();
        assert!(a.starts_with(b"%PDF-"));
        assert_eq!(a, b);
        let mut other = sample();
        other.push(Block::Paragraph("more".into()));
        assert_ne!(other.render().unwrap(), a);
    }

    #[test]
    fn long_text_wraps_and_pages_follow() {
        let mut d = Document::new("t", "f");
        for _ in 0..200 {
            d.push(Block::Paragraph(
                "Строка текста, которая переносится по ширине страницы. ".repeat(3),
            ));
        }
        let bytes = d.render().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.matches("/Type /Page").count() > 5);
    }
}
