//! CSV downloads (the domain list, the spend log): one way to write a cell and to answer with
//! a file.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV document: the header line, then one line per row, CRLF-terminated.
pub fn document<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV cell: quoted when it must be, and never read as a formula by a spreadsheet (a
/// customer name starting with `=` stays text; numbers stay numbers).
pub fn cell(value: &str) -> String {
    let formula =
        value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err();
    let value = if formula {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The answer that makes the browser save `csv` as `name`.
pub fn download(name: &str, csv: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-12"), "-12");
        assert_eq!(cell("-1+1"), "'-1+1");
    }

    #[test]
    fn a_document_has_its_header_and_crlf_lines() {
        let csv = document(["a", "b"], [["1".to_string(), "x,y".to_string()]]);
        assert_eq!(csv, "a,b\r\n1,\"x,y\"\r\n");
    }
}
