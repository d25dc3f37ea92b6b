//! An XLSX is a zip of XML parts that calamine reads as it finds them: some whole (the shared
//! strings, the styles), sheets as a stream. A file of one megabyte can unzip to gigabytes, a
//! single text node can be as long as its part, a `uniqueCount` can ask for terabytes up front,
//! and a cell reference past XFD1048576 wraps onto row 1. So every part is unzipped once here,
//! with a bound on what it expands to and on the longest stretch between two tags, and the
//! sheets' and shared strings' tags are read with quick-xml for what calamine would trust,
//! before calamine sees the file.

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use super::limits;

/// What is wrong with one part of a workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartProblem {
    /// It unzips to more than this many bytes.
    TooLarge { limit: u64 },
    /// A stretch of text or a tag longer than any cell.
    RunTooLong { limit: u64 },
    /// A cell or row reference outside Excel's sheet (A1 to XFD1048576).
    BadReference(String),
    /// It announces more shared strings than a sheet has cells.
    TooManyStrings(String),
    /// More parts than any workbook has.
    TooManyParts { parts: usize },
    /// All parts together unzip to more than this many bytes.
    WorkbookTooLarge { limit: u64 },
    /// More cells in all sheets, empty ones included, than this.
    TooManyCells { limit: u64 },
    /// A cell or shared string whose text, all its runs together, is longer than Excel's cell.
    CellTooLong { limit: usize },
    /// More XML elements in all parts than this.
    TooManyTags { limit: u64 },
    /// A CDATA section: Excel never writes one, and its text is read whole before it can be
    /// counted.
    CData,
    /// Two sheets of the workbook are one part (calamine reads it once for each).
    SharedSheetPart(String),
}

/// The first part of the workbook in `bytes` that calamine must not be given, and why.
/// A zip that cannot even be listed passes: calamine's own error says it better.
pub fn check(bytes: &[u8]) -> Result<(), (String, PartProblem)> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    if zip.len() > limits::PARTS {
        return Err((String::new(), PartProblem::TooManyParts { parts: zip.len() }));
    }
    let mut budget = Budget { unzipped: 0, cells: 0, tags: 0, sheet_parts: Default::default() };
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index(i) else { continue };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        // Sheets may sit anywhere the workbook's relations point: every part's tags are read,
        // and only the usual sheet folder may hold parts as large as a sheet.
        let sheet_folder = lower.starts_with("xl/worksheets/");
        let limit = if sheet_folder { limits::PART_BYTES } else { limits::HELD_PART_BYTES };
        let guard = Guard { inner: entry, limit, total: 0, run: 0, cdata: 0, problem: None };
        let strings = lower.ends_with("sharedstrings.xml");
        read_tags(guard, strings, &mut budget).map_err(|problem| (name, problem))?;
    }
    Ok(())
}

/// What all parts of one workbook may take together.
struct Budget {
    /// Bytes unzipped so far, against [`limits::WORKBOOK_UNZIPPED`].
    unzipped: u64,
    /// Cells (`<c>` tags, empty ones too), against [`limits::CELL_TAGS`].
    cells: u64,
    /// Elements of all parts, against [`limits::XML_TAGS`].
    tags: u64,
    /// The file names of the parts the relations make sheets of.
    sheet_parts: std::collections::HashSet<String>,
}

/// Reads a part's tags: every `row r` and `c r` must lie inside the sheet, no cell (`c`) or
/// shared string (`si`) may hold more text than Excel's cell, the cells of all sheets are
/// counted, and `sst` may not announce more strings than a file may have cells. Whatever is not
/// XML is drained through the guard all the same, for its bounds.
fn read_tags<R: Read>(guard: Guard<R>, strings: bool, budget: &mut Budget) -> Result<(), PartProblem> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(guard));
    // Read as calamine reads it (xlsx::xml_reader), so that both see the same elements.
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    // The text inside the open cell or shared string, however many runs it is split into.
    let mut text_in_cell: Option<u64> = None;
    let problem = loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) => break None,
            Ok(event) => event,
        };
        match &event {
            Event::Start(tag) | Event::Empty(tag) => {
                if let Err(problem) = check_tag(tag, strings, &mut budget.sheet_parts) {
                    break Some(problem);
                }
                budget.tags += 1;
                if budget.tags > limits::XML_TAGS {
                    break Some(PartProblem::TooManyTags { limit: limits::XML_TAGS });
                }
                let name = tag.local_name();
                if name.as_ref() == "c" && !strings {
                    budget.cells += 1;
                    if budget.cells > limits::CELL_TAGS {
                        break Some(PartProblem::TooManyCells { limit: limits::CELL_TAGS });
                    }
                }
                if matches!(&event, Event::Start(_)) && (name.as_ref() == "c" || name.as_ref() == "si") {
                    text_in_cell = Some(0);
                }
            }
            Event::End(tag) if matches!(tag.local_name().as_ref(), "c" | "si") => text_in_cell = None,
            // Text comes as text, entity references (`&#x10000;`, one event each) and CDATA.
            Event::Text(_) | Event::GeneralRef(_) | Event::CData(_) => {
                if let Some(bytes) = text_in_cell.as_mut() {
                    *bytes += match &event {
                        Event::Text(t) => t.len(),
                        Event::GeneralRef(r) => r.len() + 2,
                        Event::CData(c) => c.len(),
                        _ => 0,
                    } as u64;
                    if *bytes > limits::CELL_XML_BYTES {
                        break Some(PartProblem::CellTooLong { limit: limits::CELL_CHARS });
                    }
                }
            }
            _ => {}
        }
    };
    let mut guard = xml.into_inner().into_inner();
    if problem.is_none() && guard.problem.is_none() {
        // A damaged stream is calamine's to report; only the bounds matter here.
        let _ = std::io::copy(&mut guard, &mut std::io::sink());
    }
    budget.unzipped += guard.total;
    if let Some(problem) = problem.or(guard.problem) {
        return Err(problem);
    }
    if budget.unzipped > limits::WORKBOOK_UNZIPPED {
        return Err(PartProblem::WorkbookTooLarge { limit: limits::WORKBOOK_UNZIPPED });
    }
    Ok(())
}

fn check_tag(
    tag: &BytesStart<'_>,
    strings: bool,
    sheet_parts: &mut std::collections::HashSet<String>,
) -> Result<(), PartProblem> {
    let attribute = |name: &str| -> Option<String> { Some(tag.try_get_attribute(name).ok()??.value.into_owned()) };
    match tag.local_name().as_ref() {
        "Relationship" if attribute("Type").is_some_and(|t| t.ends_with("/worksheet")) => {
            let target = attribute("Target").unwrap_or_default();
            // By file name: a target may be written relative or absolute, and sheets of a real
            // workbook have names of their own.
            let name = target.rsplit(['/', '\\']).next().unwrap_or_default().to_lowercase();
            if !sheet_parts.insert(name) {
                return Err(PartProblem::SharedSheetPart(target));
            }
            Ok(())
        }
        "row" if !strings => match attribute("r") {
            Some(r) if !r.parse::<u64>().is_ok_and(|n| (1..=limits::SHEET_ROWS).contains(&n)) => {
                Err(PartProblem::BadReference(r))
            }
            _ => Ok(()),
        },
        "c" if !strings => match attribute("r") {
            Some(r) if !inside_sheet(&r) => Err(PartProblem::BadReference(r)),
            _ => Ok(()),
        },
        "sst" if strings => {
            for count in [attribute("uniqueCount"), attribute("count")].into_iter().flatten() {
                if !count.trim().parse::<u64>().is_ok_and(|n| n <= limits::CELLS) {
                    return Err(PartProblem::TooManyStrings(count));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `A1` to `XFD1048576` (absolute `$` marks allowed).
fn inside_sheet(reference: &str) -> bool {
    let r = reference.replace('$', "");
    let split = r.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(r.len());
    let (letters, digits) = r.split_at(split);
    let column = letters.bytes().try_fold(0u64, |n, b| {
        let n = n * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1);
        (n <= limits::SHEET_COLUMNS).then_some(n)
    });
    let row = digits.parse::<u64>().ok();
    !letters.is_empty()
        && column.is_some()
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && row.is_some_and(|n| (1..=limits::SHEET_ROWS).contains(&n))
}

/// A reader that stops with an error once its part has given `limit` bytes, or a stretch of
/// [`limits::XML_RUN_BYTES`] without a `<`.
struct Guard<R> {
    inner: R,
    limit: u64,
    total: u64,
    run: u64,
    /// How much of [`CDATA`] the last bytes matched.
    cdata: usize,
    problem: Option<PartProblem>,
}

const CDATA: &[u8] = b"<![CDATA[";

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.problem.is_some() {
            return Err(std::io::Error::other("workbook part over its bound"));
        }
        let n = self.inner.read(out)?;
        self.total += n as u64;
        if self.total > self.limit {
            self.problem = Some(PartProblem::TooLarge { limit: self.limit });
        }
        for &b in &out[..n] {
            // Text ends at a tag, and a tag (`<` … `>`) cannot hold another `<`: counting from
            // the last `<` bounds both (a `>` is allowed in text).
            if b == b'<' {
                self.run = 0;
            } else {
                self.run += 1;
            }
            self.cdata = match (b == CDATA[self.cdata], b == b'<') {
                (true, _) => self.cdata + 1,
                (false, true) => 1,
                (false, false) => 0,
            };
            if self.cdata == CDATA.len() {
                self.problem = Some(PartProblem::CData);
                break;
            }
            if self.run > limits::XML_RUN_BYTES {
                self.problem = Some(PartProblem::RunTooLong { limit: limits::XML_RUN_BYTES });
                break;
            }
        }
        if self.problem.is_some() {
            return Err(std::io::Error::other("workbook part over its bound"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_inside_the_sheet_only() {
        for ok in ["A1", "XFD1048576", "$B$7", "aa10"] {
            assert!(inside_sheet(ok), "{ok}");
        }
        for bad in ["A4294967297", "A0", "XFE1", "A1048577", "1", "A", "A1B", "", "ZZZZZZZZZZZZZZZ1"] {
            assert!(!inside_sheet(bad), "{bad}");
        }
    }

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in parts {
            out.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_part_that_unzips_past_its_bound_or_holds_a_giant_text_is_named() {
        let big = vec![b'x'; (limits::XML_RUN_BYTES + 1) as usize];
        let (part, problem) =
            check(&zip_of(&[("xl/styles.xml", b"<a/>"), ("xl/sharedStrings.xml", &big)])).unwrap_err();
        assert_eq!(
            (part.as_str(), problem),
            ("xl/sharedStrings.xml", PartProblem::RunTooLong { limit: limits::XML_RUN_BYTES })
        );
        let strings = b"<sst xmlns=\"x\" uniqueCount=\"1000000000000\"><si><t>a</t></si></sst>";
        let (_, problem) = check(&zip_of(&[("xl/sharedStrings.xml", strings)])).unwrap_err();
        assert_eq!(problem, PartProblem::TooManyStrings("1000000000000".into()));
        let sheet =
            b"<worksheet><sheetData><row r=\"1\"><c r=\"A4294967297\"><v>1</v></c></row></sheetData></worksheet>";
        let (part, problem) = check(&zip_of(&[("xl/worksheets/sheet1.xml", sheet)])).unwrap_err();
        assert_eq!(
            (part.as_str(), problem),
            ("xl/worksheets/sheet1.xml", PartProblem::BadReference("A4294967297".into()))
        );
        let fine = b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></c></row></sheetData></worksheet>";
        assert_eq!(check(&zip_of(&[("xl/worksheets/sheet1.xml", fine)])), Ok(()));
    }

    /// The second review's workbooks: CDATA, text made of entity references, a mismatched end
    /// tag before the part's real content (quick-xml's default stopped the check there, while
    /// calamine reads on), and two sheets on one part.
    #[test]
    fn what_calamine_would_read_the_guard_reads_too() {
        let cdata = b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t><![CDATA[x]]></t></is></c></row></sheetData></worksheet>";
        let (_, problem) = check(&zip_of(&[("xl/worksheets/sheet1.xml", cdata)])).unwrap_err();
        assert_eq!(problem, PartProblem::CData);

        let refs = format!(
            "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is>{}</is></c></row></sheetData></worksheet>",
            format!("<r><t>{}</t></r>", "&#x10000;".repeat(10_000)).repeat(5)
        );
        let (_, problem) = check(&zip_of(&[("xl/worksheets/sheet1.xml", refs.as_bytes())])).unwrap_err();
        assert_eq!(problem, PartProblem::CellTooLong { limit: limits::CELL_CHARS });

        let strings = b"<?xml version=\"1.0\"?><a></b><sst uniqueCount=\"100000000000\"><si><t>a</t></si></sst>";
        let (_, problem) = check(&zip_of(&[("xl/sharedStrings.xml", strings)])).unwrap_err();
        assert_eq!(problem, PartProblem::TooManyStrings("100000000000".into()));

        let rels = b"<Relationships><Relationship Id=\"rId1\" Type=\"http://x/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"http://x/worksheet\" Target=\"/xl/worksheets/sheet1.xml\"/></Relationships>";
        let (part, problem) = check(&zip_of(&[("xl/_rels/workbook.xml.rels", rels)])).unwrap_err();
        assert_eq!(
            (part.as_str(), problem),
            ("xl/_rels/workbook.xml.rels", PartProblem::SharedSheetPart("/xl/worksheets/sheet1.xml".into()))
        );
    }
}
