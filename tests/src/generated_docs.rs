//! Tables the tests produce and the docs quote: the committed text must be
//! what the code produces now.

use std::path::PathBuf;

/// Compares `content` with the part of `docs/<file>` between
/// `<!-- <section>:begin -->` and `<!-- <section>:end -->`. When they
/// differ the test fails, unless `VAMM_WRITE_STRESS=1`, which rewrites it.
pub fn check_generated_section(file: &str, section: &str, content: &str) {
    let manifest_dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = PathBuf::from(manifest_dir).join("../docs").join(file);
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let begin = format!("<!-- {section}:begin -->\n");
    let end_marker = format!("<!-- {section}:end -->");
    let start = doc.find(&begin).unwrap_or_else(|| panic!("docs/{file} has no {begin}")) + begin.len();
    let end = doc.find(&end_marker).unwrap_or_else(|| panic!("docs/{file} has no {end_marker}"));
    if doc[start..end] == *content {
        return;
    }
    if std::env::var("VAMM_WRITE_STRESS").is_ok_and(|v| v == "1") {
        let updated = format!("{}{content}{}", &doc[..start], &doc[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "docs/{file} ({section}) is stale: rerun this test with VAMM_WRITE_STRESS=1 and commit the result"
    );
}
