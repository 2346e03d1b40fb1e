//! Files attached to customers, contacts, deals and contracts: which kinds are
//! accepted (the extension and the file's first bytes must agree), the
//! content type they are served with (ours, never the uploader's), the
//! size limit and the name kept for the download.

use crate::validation::{FieldError, Invalid};

pub const NAME_MAX: usize = 200;
/// Bytes read from the start of a file to tell its kind.
pub const SNIFF_BYTES: usize = 512;

/// The records files are attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    Customer,
    Contact,
    Opportunity,
    Contract,
}

impl Holder {
    pub const ALL: [Holder; 4] = [Holder::Customer, Holder::Contact, Holder::Opportunity, Holder::Contract];

    pub fn code(self) -> &'static str {
        match self {
            Holder::Customer => "customer",
            Holder::Contact => "contact",
            Holder::Opportunity => "opportunity",
            Holder::Contract => "contract",
        }
    }

    pub fn parse(code: &str) -> Option<Holder> {
        Holder::ALL.into_iter().find(|h| h.code() == code)
    }
}

/// An accepted kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    /// Word, Excel or PowerPoint since 2007 (a zip inside).
    OfficeXml,
    /// Word, Excel or PowerPoint 97–2003 (a compound file).
    OfficeLegacy,
    Text,
    Zip,
}

impl FileKind {
    pub const ALL: [FileKind; 9] = [
        FileKind::Pdf,
        FileKind::Png,
        FileKind::Jpeg,
        FileKind::Gif,
        FileKind::Webp,
        FileKind::OfficeXml,
        FileKind::OfficeLegacy,
        FileKind::Text,
        FileKind::Zip,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpeg",
            FileKind::Gif => "gif",
            FileKind::Webp => "webp",
            FileKind::OfficeXml => "office",
            FileKind::OfficeLegacy => "office_legacy",
            FileKind::Text => "text",
            FileKind::Zip => "zip",
        }
    }

    pub fn parse(code: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind an extension claims.
    fn of_extension(ext: &str) -> Option<FileKind> {
        Some(match ext {
            "pdf" => FileKind::Pdf,
            "png" => FileKind::Png,
            "jpg" | "jpeg" => FileKind::Jpeg,
            "gif" => FileKind::Gif,
            "webp" => FileKind::Webp,
            "docx" | "xlsx" | "pptx" => FileKind::OfficeXml,
            "doc" | "xls" | "ppt" => FileKind::OfficeLegacy,
            "txt" => FileKind::Text,
            "zip" => FileKind::Zip,
            _ => return None,
        })
    }

    /// Whether a file's first bytes are of this kind.
    fn matches(self, head: &[u8]) -> bool {
        match self {
            FileKind::Pdf => head.starts_with(b"%PDF-"),
            FileKind::Png => head.starts_with(b"\x89PNG\r\n\x1a\n"),
            FileKind::Jpeg => head.starts_with(&[0xFF, 0xD8, 0xFF]),
            FileKind::Gif => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
            FileKind::Webp => head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP",
            FileKind::OfficeXml | FileKind::Zip => head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06"),
            FileKind::OfficeLegacy => head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
            FileKind::Text => is_text(head),
        }
    }

    /// The content type a download is served with, whatever the upload said.
    pub fn content_type(self, file_name: &str) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
            FileKind::Webp => "image/webp",
            FileKind::OfficeXml => match extension(file_name).as_str() {
                "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                _ => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            },
            FileKind::OfficeLegacy => match extension(file_name).as_str() {
                "doc" => "application/msword",
                "xls" => "application/vnd.ms-excel",
                _ => "application/vnd.ms-powerpoint",
            },
            FileKind::Text => "text/plain; charset=utf-8",
            FileKind::Zip => "application/zip",
        }
    }
}

/// Text: no NUL and no other control characters than tab, line breaks and
/// form feed, in UTF-8 (a character cut at the end of the sample counts) or
/// in a Chinese legacy encoding (bytes above 0x7F are then allowed).
fn is_text(head: &[u8]) -> bool {
    head.iter().all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) && !head.contains(&0x7F)
}

/// The lower-case extension of a file name (`""` without one).
pub fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The kind of an upload from its name and first bytes: the extension must
/// be an accepted one (`file_type_not_allowed`) and the content must be
/// what it claims (`file_type_mismatch`: a program renamed `.pdf`).
pub fn sniff(file_name: &str, head: &[u8]) -> Result<FileKind, Invalid> {
    let kind = FileKind::of_extension(&extension(file_name))
        .ok_or_else(|| Invalid(vec![FieldError::new("file", "file_type_not_allowed").with("types", ALLOWED)]))?;
    if !kind.matches(head) {
        return Err(Invalid::one("file", "file_type_mismatch"));
    }
    Ok(kind)
}

/// The accepted extensions, for messages and the upload form.
pub const ALLOWED: &str = "pdf, png, jpg, gif, webp, doc, docx, xls, xlsx, ppt, pptx, txt, zip";

/// `file_too_large` once a file passes `max` bytes (counted while it
/// arrives, so a large upload stops early).
pub fn check_size(size: u64, max: u64) -> Result<(), Invalid> {
    if size > max {
        return Err(Invalid(vec![FieldError::new("file", "file_too_large").with("max", max / (1024 * 1024))]));
    }
    Ok(())
}

/// The name kept for the download: without folders (`C:\\x\\报价.pdf` →
/// `报价.pdf`), control characters or quotes, at most [`NAME_MAX`]
/// characters with the extension kept.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>')).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.chars().count() <= NAME_MAX {
        return cleaned;
    }
    let ext = extension(&cleaned);
    let keep = NAME_MAX - ext.chars().count() - 1;
    format!("{}.{ext}", cleaned.chars().take(keep).collect::<String>())
}

/// Who may delete an attachment: its uploader, or whoever administers the
/// record's area.
pub fn may_delete(uploader_id: i64, caller: Option<i64>, administers: bool) -> bool {
    administers || caller == Some(uploader_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<FileKind, Invalid>) -> String {
        match r {
            Ok(k) => k.code().to_owned(),
            Err(e) => e.0[0].code.clone(),
        }
    }

    #[test]
    fn the_content_must_be_what_the_extension_says() {
        assert_eq!(code(sniff("报价.pdf", b"%PDF-1.7\n...")), "pdf");
        assert_eq!(code(sniff("LOGO.PNG", b"\x89PNG\r\n\x1a\n....")), "png");
        assert_eq!(code(sniff("photo.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0])), "jpeg");
        assert_eq!(code(sniff("合同.docx", b"PK\x03\x04\x14\x00")), "office");
        assert_eq!(code(sniff("old.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0])), "office_legacy");
        assert_eq!(code(sniff("纪要.txt", "会议纪要：下周报价\r\n".as_bytes())), "text");
        assert_eq!(code(sniff("a.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ")), "webp");
        assert_eq!(code(sniff("setup.exe", b"MZ\x90\x00")), "file_type_not_allowed");
        assert_eq!(code(sniff("invoice.pdf", b"MZ\x90\x00")), "file_type_mismatch", "a program named .pdf");
        assert_eq!(code(sniff("page.txt", b"\x00\x01binary")), "file_type_mismatch");
        assert_eq!(code(sniff("noext", b"%PDF-")), "file_type_not_allowed");
        assert_eq!(code(sniff(".pdf", b"%PDF-")), "file_type_not_allowed", "a dot file has no extension");
        assert_eq!(code(sniff("page.html", b"<html>")), "file_type_not_allowed");
    }

    #[test]
    fn downloads_are_served_as_our_kind_and_names_are_cleaned() {
        assert_eq!(FileKind::Text.content_type("a.txt"), "text/plain; charset=utf-8");
        assert_eq!(
            FileKind::OfficeXml.content_type("b.XLSX"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(FileKind::parse("office"), Some(FileKind::OfficeXml));
        assert_eq!(clean_name("C:\\Users\\li\\报价单.pdf"), "报价单.pdf");
        assert_eq!(clean_name("../../etc/\"pass\nwd\".txt"), "passwd.txt");
        let long = format!("{}.pdf", "长".repeat(300));
        let cleaned = clean_name(&long);
        assert_eq!(cleaned.chars().count(), NAME_MAX);
        assert!(cleaned.ends_with(".pdf"));
    }

    #[test]
    fn size_and_who_deletes() {
        assert!(check_size(20 * 1024 * 1024, 20 * 1024 * 1024).is_ok());
        let refused = check_size(20 * 1024 * 1024 + 1, 20 * 1024 * 1024).unwrap_err();
        assert_eq!((refused.0[0].code.as_str(), refused.0[0].params[0].1.as_str()), ("file_too_large", "20"));
        assert!(may_delete(3, Some(3), false));
        assert!(may_delete(3, Some(4), true));
        assert!(!may_delete(3, Some(4), false));
    }
}
