//! Retrieve stage: fetches the graph facts each assertion needs, through a [`FactSource`]
//! (the embedded store's parameterized SPARQL query; request text is never spliced into it).

use crate::knowledge::{Fact, FactSource, GraphError, Knowledge};
use crate::link::Assertion;

/// Facts for each assertion, in the same order.
pub fn retrieve(
    kg: &Knowledge,
    source: &dyn FactSource,
    assertions: &[Assertion],
) -> Result<Vec<Vec<Fact>>, GraphError> {
    assertions
        .iter()
        .map(|a| {
            let subject = &kg.entities[a.subject as usize].iri;
            let predicate = &kg.predicates[a.predicate].iri;
            source.facts(subject, predicate)
        })
        .collect()
}
