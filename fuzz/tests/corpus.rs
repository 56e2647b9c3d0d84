//! Every fuzz target's checks over its committed seed corpus
//! (`fuzz/corpus/<target>/`) and over random inputs (proptest, shrunk on failure), on stable, in
//! the test suite: the checks cannot rot, and a corpus entry that once
//! failed stays a regression test (`cargo fuzz` findings are added to the
//! corpus when fixed).

use proptest::collection::vec;
use proptest::prelude::*;
use std::path::Path;

#[test]
fn every_target_passes_its_committed_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, run) in vamm_fuzz::TARGETS {
        let dir = root.join(name);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus of {name} at {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        assert!(!entries.is_empty(), "the corpus of {name} is empty");
        for path in &entries {
            run(&std::fs::read(path).unwrap());
        }
        println!("{name}: {} corpus inputs", entries.len());
    }
}

fn target(name: &str) -> vamm_fuzz::RunBytes {
    vamm_fuzz::TARGETS.iter().find(|(n, _)| *n == name).expect("a target").1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn curve_on_random_inputs(bytes in vec(any::<u8>(), 8..256)) {
        target("curve")(&bytes);
    }

    #[test]
    fn curve_governance_on_random_inputs(bytes in vec(any::<u8>(), 8..256)) {
        target("curve_governance")(&bytes);
    }

    #[test]
    fn margin_on_random_inputs(bytes in vec(any::<u8>(), 8..512)) {
        target("margin")(&bytes);
    }

    #[test]
    fn funding_on_random_inputs(bytes in vec(any::<u8>(), 8..256)) {
        target("funding")(&bytes);
    }

    #[test]
    fn liquidation_on_random_inputs(bytes in vec(any::<u8>(), 8..256)) {
        target("liquidation")(&bytes);
    }

    #[test]
    fn shares_on_random_inputs(bytes in vec(any::<u8>(), 8..512)) {
        target("shares")(&bytes);
    }
}
