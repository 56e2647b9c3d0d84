//! The README's instruction reference must match the committed IDL (which
//! `scripts/test.sh` checks against the source).

use std::path::Path;

fn read(relative: &str) -> String {
    // At run time: a test binary shared through one target directory may
    // have been compiled in another checkout.
    let manifest_dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = Path::new(&manifest_dir).join("..").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn readme_documents_every_instruction_account_and_argument() {
    let idl: serde_json::Value = serde_json::from_str(&read("idl/vamm.json")).unwrap();
    let readme = read("README.md");
    let instructions = idl["instructions"].as_array().unwrap();
    assert!(instructions.len() >= 9);
    for instruction in instructions {
        let name = instruction["name"].as_str().unwrap();
        let heading = format!("### `{name}`");
        let start = readme.find(&heading).unwrap_or_else(|| panic!("README has no section {heading}"));
        let rest = &readme[start + heading.len()..];
        let section = &rest[..rest.find("\n#").unwrap_or(rest.len())];
        let names =
            instruction["accounts"].as_array().unwrap().iter().chain(instruction["args"].as_array().unwrap());
        for item in names {
            let item = item["name"].as_str().unwrap();
            assert!(
                section.contains(&format!("`{item}")),
                "README section {heading} does not mention `{item}`"
            );
        }
    }
    // No documented instruction that the program lacks.
    for line in readme.lines().filter(|l| l.starts_with("### `")) {
        let documented = line.trim_start_matches("### `").trim_end_matches('`');
        assert!(
            instructions.iter().any(|i| i["name"] == documented),
            "README documents `{documented}`, which the IDL does not have"
        );
    }
}
