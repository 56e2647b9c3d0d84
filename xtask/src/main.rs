//! Workspace tasks.
//!
//! `cargo run -p xtask -- idl`          builds the program's IDL the way
//!                                      `anchor idl build` does and writes
//!                                      `idl/vamm.json`.
//! `cargo run -p xtask -- idl --check`  fails when the committed IDL differs
//!                                      from the one the source builds.
//! `cargo run -p xtask -- idl --print`  writes it and prints it.
//! `cargo run -p xtask -- ts-vectors`   rewrites the TypeScript SDK's
//!                                      golden vectors from the Rust client
//!                                      (`app/ts/test/vectors`); the test
//!                                      that writes them fails when the
//!                                      committed ones are stale.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["idl"] => run(Mode::Write),
        ["idl", "--check"] => run(Mode::Check),
        ["idl", "--print"] => run(Mode::Print),
        ["ts-vectors"] => ts_vectors(),
        _ => {
            eprintln!("usage: cargo run -p xtask -- idl [--check | --print] | ts-vectors");
            ExitCode::from(2)
        }
    }
}

/// Runs the tests that write the TypeScript SDK's golden vectors with
/// `VAMM_WRITE_VECTORS` set: the Rust client's instruction builders and
/// PDAs, then the scripted in-process scenario (accounts, previews,
/// remaining accounts, errors, compute budgets).
fn ts_vectors() -> ExitCode {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let writers = [
        ("vamm-client", "ts_vectors", "app/ts/test/vectors/instructions.json"),
        ("vamm-sandbox", "ts_scenario", "app/ts/test/vectors/scenario.json"),
    ];
    for (package, test, file) in writers {
        let status = std::process::Command::new(&cargo)
            .current_dir(&root)
            .args(["test", "--locked", "-p", package, "--test", test])
            .env("VAMM_WRITE_VECTORS", "1")
            .status();
        match status {
            Ok(status) if status.success() => println!("wrote {file}"),
            Ok(status) => {
                eprintln!("the vector test {package}/{test} failed ({status})");
                return ExitCode::FAILURE;
            }
            Err(error) => {
                eprintln!("cannot run cargo: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// The workspace this run is for. Read at run time (`cargo run` sets it):
/// a binary shared through one target directory may have been compiled in
/// another checkout.
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().expect("current directory").join("xtask"));
    manifest_dir.parent().expect("xtask lives in the workspace").to_path_buf()
}

#[derive(PartialEq)]
enum Mode {
    Write,
    Check,
    Print,
}

fn run(mode: Mode) -> ExitCode {
    let root = workspace_root();
    prepare_environment(&root);
    let idl = match anchor_lang_idl::build::IdlBuilder::new().program_path(root.join("programs/vamm")).build()
    {
        Ok(idl) => idl,
        Err(error) => {
            eprintln!("IDL build failed: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let json = serde_json::to_string_pretty(&idl).expect("IDL serialises") + "\n";
    let path = root.join("idl/vamm.json");
    if mode == Mode::Check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != json {
            eprintln!("{} is stale: run `cargo run -p xtask -- idl` and commit the result", path.display());
            return ExitCode::FAILURE;
        }
        println!("{} is up to date", path.display());
    } else {
        std::fs::create_dir_all(path.parent().unwrap()).expect("create idl/");
        std::fs::write(&path, &json).expect("write IDL");
        if mode == Mode::Print {
            print!("{json}");
        }
        eprintln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

/// The IDL builder runs `cargo test --features idl-build` with its own
/// RUSTFLAGS, so it gets its own target directory (sharing one would
/// rebuild every dependency on each switch). It also passes a literal
/// `+{toolchain}` to cargo and may run `rustup toolchain install` when
/// `RUSTUP_TOOLCHAIN` is set, as it is under `cargo run`: drop it so the
/// installed stable toolchain is used untouched.
fn prepare_environment(root: &Path) {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("idl-build"),
        None => root.join("target/idl-build"),
    };
    // SAFETY: single-threaded, before any other thread exists.
    unsafe {
        std::env::remove_var("RUSTUP_TOOLCHAIN");
        std::env::set_var("CARGO_TARGET_DIR", target);
    }
}
