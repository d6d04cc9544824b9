//! The on-disk graph store (`[graph] store_path`): without the `rocksdb` feature it is refused
//! by name; with it, files are loaded once and reopened without parsing while they stay the
//! same (`cargo test --features rocksdb`, `make test-rocksdb`).

#[test]
fn store_path_needs_the_rocksdb_build_or_is_used() {
    let f: factgate::config::FileConfig =
        toml::from_str("[graph]\nstore_path = \"graph-store\"\n").expect("toml");
    let r = factgate::config::Config::validate(f);
    if cfg!(feature = "rocksdb") {
        r.expect("accepted in a rocksdb build");
    } else {
        let e = r.expect_err("refused without the store").to_string();
        assert!(
            e.contains("graph.store_path") && e.contains("--features rocksdb"),
            "{e}"
        );
    }
}

#[cfg(feature = "rocksdb")]
#[test]
fn on_disk_store_is_reopened_without_parsing_until_a_file_changes() {
    use factgate::knowledge::{FactSource, Knowledge};
    let dir = tempfile::tempdir().expect("tempdir");
    let graph = dir.path().join("graph");
    std::fs::create_dir(&graph).expect("mkdir");
    for f in std::fs::read_dir(crate::common::fixture_graph()).expect("fixture") {
        let f = f.expect("entry").path();
        std::fs::copy(&f, graph.join(f.file_name().expect("name"))).expect("copy");
    }
    let store = dir.path().join("store");
    let in_memory = Knowledge::load(std::slice::from_ref(&graph)).expect("loads");

    let first = Knowledge::open_persistent(std::slice::from_ref(&graph), &store).expect("loads");
    assert!(!first.reopened, "an empty store is loaded");
    assert_eq!(
        first.snapshot, in_memory.snapshot,
        "same snapshot as in memory"
    );
    assert_eq!(first.entities.len(), in_memory.entities.len());
    let france = in_memory
        .find_entities("France")
        .first()
        .and_then(|h| h.candidates.first().copied())
        .map(|id| in_memory.entities[id as usize].iri.clone())
        .expect("France is in the fixture graph");
    let capital = format!("{}capital", factgate::knowledge::FG);
    let facts = first.facts(&france, &capital).expect("facts");
    drop(first);

    let again = Knowledge::open_persistent(std::slice::from_ref(&graph), &store).expect("opens");
    assert!(again.reopened, "the same files: opened without parsing");
    assert_eq!(again.snapshot, in_memory.snapshot);
    assert_eq!(again.entities.len(), in_memory.entities.len());
    assert_eq!(again.files, in_memory.files);
    assert_eq!(again.facts(&france, &capital).expect("facts"), facts);
    drop(again);

    // A changed file is loaded again (and the old triples are gone).
    let world = graph.join("world.ttl");
    let mut text = std::fs::read_to_string(&world).expect("read");
    text.push_str("\n<https://factgate.dev/id/test/x> <http://www.w3.org/2000/01/rdf-schema#label> \"Testland\" .\n");
    std::fs::write(&world, text).expect("write");
    let changed = Knowledge::open_persistent(std::slice::from_ref(&graph), &store).expect("loads");
    assert!(!changed.reopened, "a changed file is parsed again");
    assert_ne!(changed.snapshot, in_memory.snapshot);
    assert!(!changed.find_entities("Testland").is_empty());
    assert_eq!(
        changed.triples,
        in_memory.triples + 1,
        "cleared, then loaded once"
    );
}
