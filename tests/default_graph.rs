//! The embedded default graph (`knowledge/`): spot checks of facts from every source through the
//! graph API, and sentences through `factgate check`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use factgate::knowledge::{FactSource, Knowledge};
use oxigraph::model::Term;

/// `knowledge/`, the default graph.
pub fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// The default graph, loaded once per test binary (also the reference of `tests/remote.rs`).
pub fn kg() -> Arc<Knowledge> {
    static KG: OnceLock<Arc<Knowledge>> = OnceLock::new();
    KG.get_or_init(|| Arc::new(Knowledge::load(&[knowledge_dir()]).expect("default graph loads")))
        .clone()
}

/// The best-ranked entity for a label with the given type.
fn entity(label: &str, ty: &str) -> String {
    let kg = kg();
    let hits = kg.find_entities(label);
    let hit = hits
        .iter()
        .find(|h| h.start == 0 && h.end == label.len())
        .unwrap_or_else(|| panic!("{label} not linked"));
    hit.candidates
        .iter()
        .map(|&c| &kg.entities[c as usize])
        .find(|e| e.types.iter().any(|t| t.ends_with(ty)))
        .unwrap_or_else(|| panic!("{label} has no {ty}"))
        .iri
        .clone()
}

fn values(subject: &str, predicate: &str) -> Vec<String> {
    let kg = kg();
    kg.facts(subject, &format!("https://factgate.dev/ns#{predicate}"))
        .expect("query")
        .into_iter()
        .map(|f| match f.object {
            Term::NamedNode(n) => kg
                .entity(n.as_str())
                .map(|e| e.label.clone())
                .unwrap_or(n.into_string()),
            Term::Literal(l) => l.value().to_string(),
            other => other.to_string(),
        })
        .collect()
}

fn one(subject: &str, predicate: &str) -> String {
    let v = values(subject, predicate);
    assert_eq!(v.len(), 1, "{subject} {predicate}: {v:?}");
    v[0].clone()
}

#[test]
fn spot_checks_across_all_four_sources() {
    let kg = kg();
    assert_eq!(
        kg.files.len(),
        5,
        "countries, cities, elements, airports, lexicon"
    );
    for f in &kg.files {
        assert!(f.triples > 0, "{} is empty", f.path.display());
    }
    // Countries.
    let kenya = entity("Kenya", "Country");
    assert_eq!(one(&kenya, "capital"), "Nairobi");
    assert_eq!(one(&kenya, "continent"), "Africa");
    assert_eq!(one(&kenya, "currencyCode"), "KES");
    assert_eq!(one(&kenya, "isoAlpha3"), "KEN");
    let france = entity("France", "Country");
    assert_eq!(one(&france, "capital"), "Paris");
    assert!(values(&france, "neighbour").contains(&"Spain".to_string()));
    let area: f64 = one(&france, "area").parse().expect("number");
    assert!((540_000.0..560_000.0).contains(&area), "{area}");
    assert_eq!(
        entity("USA", "Country"),
        entity("United States of America", "Country")
    );
    assert_eq!(one(&entity("Japan", "Country"), "currencyName"), "Yen");
    assert_eq!(one(&entity("Germany", "Country"), "topLevelDomain"), ".de");
    // Cities.
    let paris = entity("Paris", "City");
    assert_eq!(
        one(&paris, "country"),
        "France",
        "bare Paris is the French capital"
    );
    let paris_tx = entity("Paris, Texas", "City");
    assert_ne!(paris, paris_tx);
    assert_eq!(one(&paris_tx, "country"), "United States");
    let tokyo: f64 = one(&entity("Tokyo", "City"), "population")
        .parse()
        .expect("number");
    assert!(tokyo > 5e6, "{tokyo}");
    assert_eq!(
        one(&entity("Nairobi", "City"), "timezone"),
        "Africa/Nairobi"
    );
    let lat: f64 = one(&entity("Zürich", "City"), "latitude")
        .parse()
        .expect("number");
    assert!((47.0..47.6).contains(&lat), "{lat}");
    assert_eq!(one(&entity("São Paulo", "City"), "country"), "Brazil");
    // Elements.
    let iron = entity("Iron", "ChemicalElement");
    assert_eq!(one(&iron, "atomicNumber"), "26");
    assert_eq!(one(&iron, "symbol"), "Fe");
    assert_eq!(one(&entity("Gold", "ChemicalElement"), "symbol"), "Au");
    assert_eq!(
        one(&entity("Oxygen", "ChemicalElement"), "discoveryYear"),
        "1774"
    );
    let weight: f64 = one(&entity("Carbon", "ChemicalElement"), "atomicWeight")
        .parse()
        .expect("number");
    assert!((weight - 12.011).abs() < 0.01, "{weight}");
    assert_eq!(
        one(&entity("Sulphur", "ChemicalElement"), "atomicNumber"),
        "16"
    );
    // Airports.
    let heathrow = entity("London Heathrow Airport", "Airport");
    assert_eq!(one(&heathrow, "iataCode"), "LHR");
    assert_eq!(one(&heathrow, "country"), "United Kingdom");
    assert_eq!(
        one(
            &entity("Frankfurt am Main International Airport", "Airport"),
            "icaoCode"
        ),
        "EDDF"
    );
}

/// Sentences over the default graph and their statuses (also checked through a remote SPARQL
/// endpoint by `tests/remote.rs`).
pub const SENTENCES: &[(&str, &str)] = &[
    ("Nairobi is the capital of Kenya.", "SUPPORTED"),
    ("Nairobi is Kenya's capital.", "SUPPORTED"),
    ("Kenya's capital city is Nairobi.", "SUPPORTED"),
    ("Kenya is in Europe.", "CONTRADICTED"),
    ("The USA is in North America.", "SUPPORTED"),
    ("Paris is in France.", "SUPPORTED"),
    ("Paris, Texas is in the United States.", "SUPPORTED"),
    ("Sydney is the capital of Australia.", "CONTRADICTED"),
    ("Iron has the atomic number 27.", "CONTRADICTED"),
    ("The atomic number of carbon is 6.", "SUPPORTED"),
    ("Germany has a population of 83 million.", "SUPPORTED"),
    ("Germany has a population of 20 million.", "CONTRADICTED"),
    ("Gold has the chemical symbol Au.", "SUPPORTED"),
    ("The currency of Japan is the yen.", "SUPPORTED"),
    ("Paris has a famous opera house.", "UNVERIFIABLE"),
    ("Heathrow Airport is in the United Kingdom.", "SUPPORTED"),
    // A known name glued to an unknown capitalised word names something else.
    ("London Bridge is in Canada.", "UNVERIFIABLE"),
    // A value that contains a name ("America" in a time zone), a phrase inside a longer one
    // ("currency" in "currency code"), a code another named predicate knows ("SWE" is alpha-3,
    // not a wrong alpha-2 for "ISO 3166"), a kelvin figure written with a bare "K": each of
    // these was once a false CONTRADICTED on the graph's own facts.
    ("Mexicali is in the America/Tijuana time zone.", "SUPPORTED"),
    (
        "Mexicali is in the America/Bogota time zone.",
        "CONTRADICTED",
    ),
    ("The currency code of Sweden is SEK.", "SUPPORTED"),
    ("The currency code of Sweden is EUR.", "CONTRADICTED"),
    ("The ISO 3166-1 alpha-3 code of Sweden is SWE.", "SUPPORTED"),
    (
        "The ISO 3166-1 alpha-3 code of Sweden is SWZ.",
        "CONTRADICTED",
    ),
    ("Niobium melts at 2750.15 K.", "SUPPORTED"),
    // The lexicon's own verbalization of a continent ("{s} is a country in {o}.") was read as
    // no relation; a superlative around "country in" still is none. A code that is a negation
    // word ("NOR", Norway's alpha-3) had negated the claim, so a wrong code came out SUPPORTED.
    ("Russia is a country in Europe.", "SUPPORTED"),
    ("Sweden is a country in Africa.", "CONTRADICTED"),
    (
        "Kenya is the most populous country in Africa.",
        "UNVERIFIABLE",
    ),
    ("The ISO 3166-1 alpha-3 code of Norway is NOR.", "SUPPORTED"),
    (
        "The ISO 3166-1 alpha-3 code of Trinidad and Tobago is NOR.",
        "CONTRADICTED",
    ),
    ("Kenya is not in Europe.", "SUPPORTED"),
    // "Asia" is also a city in the Philippines: "China is in Asia" had been read as "the
    // country of Asia is China" as well, and CONTRADICTED. Read both ways round, the sentence
    // is about its first mention; the other way round is still read when it is written so.
    ("China is in Asia.", "SUPPORTED"),
    ("Iran is in Asia.", "SUPPORTED"),
    ("Asia is in the Philippines.", "SUPPORTED"),
    // Two phrases, two claims: the city's country is right, its being the capital is not.
    (
        "The city of Mombasa is the capital of Kenya.",
        "CONTRADICTED",
    ),
    // One phrase, two readings: "Colombia" is the country and a town, so "is in" reads the
    // airport's country and the town it serves. The sentence holds when one reading does, and
    // a negation denies the statement, not each reading.
    ("Cimitarra Airport is in Colombia.", "SUPPORTED"),
    ("Cimitarra Airport is not in Colombia.", "CONTRADICTED"),
    ("Cimitarra Airport is in Peru.", "CONTRADICTED"),
    // Mexico is a town too, but the graph has no town the airstrip serves: its country decides.
    ("Pelican Beach Airstrip is in Mexico.", "CONTRADICTED"),
    // Accents typed pick the city of that spelling over a more populous namesake without them;
    // without accents, namesakes of the same order of population are each read (San Jose,
    // California has three times the people of San José, Costa Rica), and further apart the
    // most populous is meant.
    ("San José is in Costa Rica.", "SUPPORTED"),
    ("San José is in the United States.", "CONTRADICTED"),
    ("San Jose is in the United States.", "SUPPORTED"),
    ("San Jose is in Costa Rica.", "SUPPORTED"),
    ("Toledo is in Spain.", "SUPPORTED"),
    ("Melbourne is in the United States.", "CONTRADICTED"),
    ("London is in Canada.", "CONTRADICTED"),
    // Two airports are called Las Brujas Airport (Cuba, MUBR; Colombia, SKCZ) and the graph
    // cannot rank one first: a claim about the name holds when it holds of one of them.
    ("The ICAO code of Las Brujas Airport is MUBR.", "SUPPORTED"),
    ("The ICAO code of Las Brujas Airport is SKCZ.", "SUPPORTED"),
    (
        "The ICAO code of Las Brujas Airport is SKBO.",
        "CONTRADICTED",
    ),
    ("Las Brujas Airport is in Cuba.", "SUPPORTED"),
    ("Las Brujas Airport is in Peru.", "CONTRADICTED"),
    // A country's name inside another's names another country (fg:distinctNames), unlike
    // "Delhi" for "New Delhi" (a_name_written_shorter_is_not_a_contradiction).
    ("Juba is in Sudan.", "CONTRADICTED"),
    ("Juba is in South Sudan.", "SUPPORTED"),
    ("Malabo is in Guinea.", "CONTRADICTED"),
    ("Kinshasa is in Republic of the Congo.", "CONTRADICTED"),
    // Transcontinental countries have both continents; any other is still a contradiction.
    ("Russia is in Asia.", "SUPPORTED"),
    ("Russia is in Europe.", "SUPPORTED"),
    ("Russia is in Africa.", "CONTRADICTED"),
    ("Turkey is in Europe.", "SUPPORTED"),
    // "St." and "Saint" name the same cities; the most populous wins.
    ("St. Petersburg is in Russia.", "SUPPORTED"),
    (
        "Lusambo Airport is in Republic of the Congo.",
        "CONTRADICTED",
    ),
    // A phrase that names less than the graph states is its own relation, with no facts here:
    // GeoNames lists the languages spoken, not the official ones, and the capital, not the
    // seat of government.
    (
        "The official language of Brazil is Spanish.",
        "UNVERIFIABLE",
    ),
    ("Portuguese is spoken in Brazil.", "SUPPORTED"),
    (
        "The seat of government of Bolivia is La Paz.",
        "UNVERIFIABLE",
    ),
    ("The capital of Bolivia is Sucre.", "SUPPORTED"),
    // The graph states today's capital, population or a city's country: a claim about another
    // time is neither contradicted nor supported by it. What does not change still decides.
    (
        "Rio de Janeiro was the capital of Brazil until 1960.",
        "UNVERIFIABLE",
    ),
    (
        "The former capital of Brazil is Rio de Janeiro.",
        "UNVERIFIABLE",
    ),
    ("Tokyo was the capital of Japan until 1868.", "UNVERIFIABLE"),
    ("Bonn was never the capital of Germany.", "UNVERIFIABLE"),
    ("Bonn is not the capital of Germany.", "SUPPORTED"),
    ("Oxygen was discovered in 1774.", "SUPPORTED"),
    ("Oxygen was discovered in 1900.", "CONTRADICTED"),
    // A contrastive "not" denies what is written after it, not the sentence; "not only" and
    // "not surprisingly" deny nothing.
    (
        "The capital of Australia is Canberra, not Sydney.",
        "SUPPORTED",
    ),
    (
        "The capital of Australia is Sydney, not Canberra.",
        "CONTRADICTED",
    ),
    (
        "The capital of Australia is not Sydney but Canberra.",
        "SUPPORTED",
    ),
    ("Kenya is not in Europe, but in Africa.", "SUPPORTED"),
    ("Kenya is in Europe, not in Africa.", "CONTRADICTED"),
    ("Paris, not Berlin, is in Germany.", "CONTRADICTED"),
    (
        "Germany has a population of 83 million, not 20 million.",
        "SUPPORTED",
    ),
    (
        "Nairobi is not only the capital of Kenya but also its largest city.",
        "SUPPORTED",
    ),
    (
        "Mombasa is not only the capital of Kenya but also its largest city.",
        "CONTRADICTED",
    ),
    (
        "The capital of Kenya, not surprisingly, is Nairobi.",
        "SUPPORTED",
    ),
    // A phrase after a superlative, an ordinal, "only" or "main" names a rank among the values,
    // which the graph does not state: the city's country is not its being the largest. A name
    // ending in "est" is no superlative.
    ("Canberra is the largest city in Australia.", "UNVERIFIABLE"),
    (
        "Montreal is the second largest city in Canada.",
        "UNVERIFIABLE",
    ),
    ("The main language of Brazil is Spanish.", "UNVERIFIABLE"),
    ("Canberra is a city in Australia.", "SUPPORTED"),
    ("Mexico City is the capital of Mexico.", "SUPPORTED"),
    ("Buda is in the Europe/Budapest time zone.", "SUPPORTED"),
    (
        "Jakarta is in the Europe/Budapest time zone.",
        "CONTRADICTED",
    ),
    // A US city's state: "Georgia" is the state as well as the country, and "is in" reads both.
    // The word "state" alone is no phrase ("Tennessee was the last state to leave the Union"
    // is not about Union, New Jersey).
    ("Atlanta is in Georgia.", "SUPPORTED"),
    ("Tbilisi is in Georgia.", "SUPPORTED"),
    ("Los Angeles is in California.", "SUPPORTED"),
    ("Los Angeles is in Texas.", "CONTRADICTED"),
    ("Seattle is in the state of Washington.", "SUPPORTED"),
    ("Tbilisi is the capital of Georgia.", "SUPPORTED"),
    (
        "Tennessee was the last state to leave the Union.",
        "UNVERIFIABLE",
    ),
    // One phrase states one value of a predicate with one value per subject: the mention nearest
    // it. A place named further on ("close to France") is not a second country of the city.
    (
        "Geneva is in Switzerland, close to the border with France.",
        "SUPPORTED",
    ),
    (
        "Geneva is in France, close to the border with Switzerland.",
        "CONTRADICTED",
    ),
    (
        "El Paso is in Texas, across the border from Ciudad Juárez in Mexico.",
        "SUPPORTED",
    ),
    (
        "The Netherlands' capital is Amsterdam, though the government sits in The Hague.",
        "SUPPORTED",
    ),
    (
        "Basel is in Switzerland, where it borders France and Germany.",
        "SUPPORTED",
    ),
    // A number said of a metropolitan or urban area is not the city's population; a name with
    // "Greater" in it is still read.
    (
        "Tokyo's metropolitan area is home to about 37 million people.",
        "UNVERIFIABLE",
    ),
    (
        "The greater Los Angeles area is home to about 18 million people.",
        "UNVERIFIABLE",
    ),
    ("Berlin has about 10 million inhabitants.", "CONTRADICTED"),
    // A population off by less than a factor of 2 (fg:contradictionFactor) is of another year
    // or boundary as likely as wrong: Tokyo's 23 wards are 8.3 million, the prefecture 14.
    (
        "Tokyo has a population of about 14 million.",
        "UNVERIFIABLE",
    ),
    (
        "Moscow has more than 12 million inhabitants.",
        "UNVERIFIABLE",
    ),
    (
        "Mexico City has about 9 million inhabitants.",
        "UNVERIFIABLE",
    ),
    (
        "Tokyo has a population of about 100 million.",
        "CONTRADICTED",
    ),
    ("Japan has about 40 million inhabitants.", "CONTRADICTED"),
    (
        "Tokyo has fewer than 2 million inhabitants.",
        "CONTRADICTED",
    ),
    (
        "Greater Sudbury has a population of about 160,000.",
        "SUPPORTED",
    ),
    // One value of a predicate with one value per subject: the symbol nearest its phrase, not
    // "at" (astatine's) or the C of "°C"; the minus sign (U+2212) is a minus.
    (
        "Copper has the symbol Cu and melts at about 1085 °C.",
        "SUPPORTED",
    ),
    ("Copper has the symbol Co.", "CONTRADICTED"),
    ("Nitrogen boils at about −196 °C.", "SUPPORTED"),
    ("Nitrogen boils at about −100 °C.", "CONTRADICTED"),
    // A name hyphen-joined to an unknown capitalised word names something else: not Jackson,
    // Mississippi.
    (
        "Hartsfield-Jackson Atlanta International Airport is in Georgia.",
        "UNVERIFIABLE",
    ),
    // Airports by the shorter names people write, and a US airport's state.
    ("Heathrow Airport is in London.", "SUPPORTED"),
    ("Heathrow Airport is in Manchester.", "CONTRADICTED"),
    ("The IATA code of Changi Airport is SIN.", "SUPPORTED"),
    ("Denver International Airport is in Colorado.", "SUPPORTED"),
    (
        "Los Angeles International Airport is in Nevada.",
        "CONTRADICTED",
    ),
    // "Logan Airport" is no alias: Boston's airport and Billings' both hold the name.
    ("Logan Airport is in Boston.", "UNVERIFIABLE"),
    // A US state is in the United States and has a capital; "Florida" is the state (ranked as
    // its most populous city), not Florida, Cuba; "Georgia" is the country or the state,
    // whichever the value fits.
    ("Florida is in the United States.", "SUPPORTED"),
    ("Florida is in Cuba.", "CONTRADICTED"),
    ("Tallahassee is the capital of Florida.", "SUPPORTED"),
    ("Miami is the capital of Florida.", "CONTRADICTED"),
    ("Atlanta is the capital of Georgia.", "SUPPORTED"),
    (
        "Georgia has a population of about 3.7 million.",
        "SUPPORTED",
    ),
    ("Montpelier is the capital of Vermont.", "SUPPORTED"),
    (
        "Atlanta is the capital of the United States.",
        "CONTRADICTED",
    ),
    // A capitalised word and "of" before a name make it part of a longer one: the statue is
    // not Liberty, Missouri.
    ("The Statue of Liberty is in New York.", "UNVERIFIABLE"),
    // Two continents through one phrase: the nearer is read, and the other is not turned
    // round into "Asia (a city in the Philippines) is in Turkey".
    ("Turkey is in both Europe and Asia.", "SUPPORTED"),
    ("Russia is in Europe and Asia.", "SUPPORTED"),
    // "X is in Y" never makes Y's mention the subject; two names side by side are one name.
    ("Panama is in Central America.", "UNVERIFIABLE"),
    ("Costa Rica is in Central America.", "UNVERIFIABLE"),
    // An area said of a country with its overseas regions is not the graph's.
    (
        "France has an area of about 643,801 km² including its overseas regions.",
        "UNVERIFIABLE",
    ),
    ("France has an area of about 900,000 km².", "CONTRADICTED"),
    // The name a phrase is "of" is its subject: Bavaria's capital is not Germany's.
    (
        "Munich is the capital of Bavaria, in Germany.",
        "UNVERIFIABLE",
    ),
    (
        "Melbourne is the capital of Victoria, Australia.",
        "UNVERIFIABLE",
    ),
    ("Berlin is the capital of Germany, in Europe.", "SUPPORTED"),
    // A decade is no year; "in 2023" is no population; a relative clause keeps its subject.
    (
        "Oxygen, discovered in the 1770s, has atomic number 8.",
        "SUPPORTED",
    ),
    (
        "In 2023, India overtook China as the most populous country.",
        "UNVERIFIABLE",
    ),
    ("In 1990, Germany's population grew.", "UNVERIFIABLE"),
    (
        "Australia, whose capital is Canberra, has about 26 million people.",
        "SUPPORTED",
    ),
    // An appositive keeps its subject too: not Mexico's population (126 million).
    (
        "Mexico City, the capital of Mexico, has about 9 million people.",
        "UNVERIFIABLE",
    ),
    (
        "Paris, the capital of France, has about 2.1 million inhabitants.",
        "SUPPORTED",
    ),
    // A figure after ", with" is the subject's, not that of the place after "in" / "of".
    (
        "Sydney is the largest city in Australia, with a population of about 5.3 million.",
        "SUPPORTED",
    ),
    (
        "São Paulo is the largest city in Brazil, with about 12 million people.",
        "SUPPORTED",
    ),
    (
        "Lagos is the largest city in Nigeria, with about 150 million people.",
        "CONTRADICTED",
    ),
    (
        "Berlin is the capital of Germany and has about 3.7 million inhabitants.",
        "SUPPORTED",
    ),
    (
        "Madrid is located in central Spain and has a population of about 3.3 million.",
        "SUPPORTED",
    ),
    (
        "Vienna is Austria's capital and has nearly 20 million inhabitants.",
        "CONTRADICTED",
    ),
    // A share is no count.
    (
        "About 60% of Canada's population lives in Ontario and Quebec.",
        "UNVERIFIABLE",
    ),
    (
        "Egypt's population grew by about 2 percent a year.",
        "UNVERIFIABLE",
    ),
    // People counted doing something are no population; after a verb of having they are.
    (
        "The protest in Paris drew about 10,000 people.",
        "UNVERIFIABLE",
    ),
    (
        "In Canada, 1.5 million people work in health care.",
        "UNVERIFIABLE",
    ),
    (
        "The earthquake in Turkey killed more than 50,000 people.",
        "UNVERIFIABLE",
    ),
    (
        "Kenya's 50 million inhabitants speak many languages.",
        "SUPPORTED",
    ),
    ("More than 30,000 people live in Borehamwood.", "SUPPORTED"),
    // The whole a share is of states no figure: the UK's population is not read as 9 million.
    (
        "London is home to about 9 million people, roughly 13% of the UK's population.",
        "SUPPORTED",
    ),
    (
        "Seoul has nearly 10 million people, about a fifth of South Korea's population.",
        "SUPPORTED",
    ),
    (
        "Roughly 20% of Australia's 26 million people live in Sydney.",
        "UNVERIFIABLE",
    ),
    // A place the subject borders or is compared with is no subject of the figure after "and
    // has"; a wrong figure of the subject is still caught.
    (
        "Kenya borders Uganda and has about 50 million people.",
        "SUPPORTED",
    ),
    (
        "Germany is larger than Austria and has about 83 million people.",
        "SUPPORTED",
    ),
    (
        "Kenya borders Uganda and has about 5 million people.",
        "CONTRADICTED",
    ),
    (
        "Portugal, bordered by Spain, has about 10 million people.",
        "SUPPORTED",
    ),
    // A number rounded as written holds (up to a tenth of the graph's value): 63.546 is "about
    // 64", 4.222 K "about 4 K"; 1.35 billion is not "about 1 billion".
    ("Copper has an atomic mass of about 64.", "SUPPORTED"),
    ("Helium boils at about 4 K.", "SUPPORTED"),
    ("Copper has an atomic mass of about 65.", "CONTRADICTED"),
    ("India has a population of about 1 billion.", "CONTRADICTED"),
    ("Sodium has atomic number 12.", "CONTRADICTED"),
    ("Copper has an atomic mass of more than 64.", "CONTRADICTED"),
    // What the subject is compared with is not its subject, nor is a name after an aside the
    // subject of a phrase inside it.
    (
        "Canada has an area of about 10 million square kilometres, second only to Russia.",
        "SUPPORTED",
    ),
    (
        "Shanghai, with about 24 million people, is larger than Beijing.",
        "SUPPORTED",
    ),
    (
        "Nigeria has about 20 million people, more than Ghana.",
        "CONTRADICTED",
    ),
    (
        "Compared to Japan, which has about 125 million people, Germany is smaller.",
        "SUPPORTED",
    ),
    // A negation applies to the statements in its part of the sentence, an aside or the rest.
    (
        "Sweden, whose currency is the krona, is not in the eurozone.",
        "SUPPORTED",
    ),
    (
        "Paris, which is not a small city, is the capital of France.",
        "SUPPORTED",
    ),
    (
        "Sweden, whose currency is not the krona, is in Europe.",
        "CONTRADICTED",
    ),
    ("The capital of Australia is not Sydney.", "SUPPORTED"),
    // A list item's head is the subject of a figure right after its phrase.
    (
        "Germany: capital Berlin, population about 83 million",
        "SUPPORTED",
    ),
    (
        "Germany: capital Berlin, population about 8 million",
        "CONTRADICTED",
    ),
    ("France: Paris has about 2.1 million people.", "SUPPORTED"),
    // A count or unit right after its figure follows its subject, unless it names where; a
    // "financial capital" is no capital.
    (
        "Mumbai has about 12 million people and is India's financial capital.",
        "SUPPORTED",
    ),
    (
        "Russia is the largest country by area, at about 17 million km², nearly twice the size of Canada.",
        "SUPPORTED",
    ),
    ("There are about 83 million people in Germany.", "SUPPORTED"),
    (
        "Mumbai has about 40 million people and is India's financial capital.",
        "CONTRADICTED",
    ),
    // A bare name means its most prominent bearer: a figure the graph has only for a lesser
    // namesake (Asia, a town in the Philippines; Florida, Cuba) is not read of it. A value that
    // tells namesakes apart still reads them, and a country's own figure is still checked,
    // but not contradicted where the name is also a US state's, which may be meant and has no
    // population in the graph ("Georgia has about 10.7 million people." is the state's).
    ("Asia has about 4.7 billion people.", "UNVERIFIABLE"),
    ("Florida has about 22 million people.", "UNVERIFIABLE"),
    (
        "Istanbul straddles Europe and Asia and has over 15 million inhabitants.",
        "SUPPORTED",
    ),
    ("Florida is in the United States.", "SUPPORTED"),
    ("Georgia has about 3.7 million people.", "SUPPORTED"),
    ("Georgia has about 10.7 million people.", "UNVERIFIABLE"),
    // A range is one interval, its scale written once; the graph's value must lie in it.
    (
        "Brazil has a population of between 200 and 220 million people.",
        "SUPPORTED",
    ),
    ("Brazil has 200-220 million people.", "SUPPORTED"),
    ("Germany has 50 to 60 million inhabitants.", "CONTRADICTED"),
    // An initial's period is no part of the name the graph spells without it, nor is a
    // sentence's final period part of a value.
    (
        "John F. Kennedy International Airport is in the United States.",
        "SUPPORTED",
    ),
    (
        "John F. Kennedy International Airport is in Canada.",
        "CONTRADICTED",
    ),
    ("Potassium has the symbol K.", "SUPPORTED"),
    // First-order subdivisions of a few countries are in the graph with their country:
    // "Ontario" is the province, not Ontario, California, and has no population there; a city
    // of the same country with the name keeps it ("Delhi"); a US namesake's state does not
    // contradict a British town ("Birmingham is in England").
    ("Ontario is a province of Canada.", "SUPPORTED"),
    ("Ontario is a province of Australia.", "CONTRADICTED"),
    ("Maharashtra is a state of India.", "SUPPORTED"),
    ("Queensland is a state of Canada.", "CONTRADICTED"),
    ("Scotland is in the United Kingdom.", "SUPPORTED"),
    ("Ontario has about 15 million people.", "UNVERIFIABLE"),
    ("Victoria has about 6.7 million people.", "UNVERIFIABLE"),
    ("Victoria is the capital of the Seychelles.", "SUPPORTED"),
    ("Delhi has about 11 million people.", "SUPPORTED"),
    ("Birmingham is in England.", "SUPPORTED"),
    ("Vancouver is in British Columbia, Canada.", "SUPPORTED"),
    // The subdivision a city of those countries is in, where the airports name its GeoNames
    // admin1 code; a namesake far smaller than the best-known city that is in the subdivision
    // named keeps the claim from being called false, without supporting it.
    ("Toronto is in Ontario.", "SUPPORTED"),
    ("Toronto is in Quebec.", "CONTRADICTED"),
    ("Mumbai is in Maharashtra.", "SUPPORTED"),
    ("Glasgow is in England.", "CONTRADICTED"),
    ("Sydney is in New South Wales.", "SUPPORTED"),
    ("London is a city in Ontario.", "UNVERIFIABLE"),
    ("Melbourne is in Florida.", "UNVERIFIABLE"),
    // A population of a name that is also a province's or a state's, which the graph has no
    // population of, is not contradicted by the city's or the country's figure.
    ("Quebec has about 8.5 million people.", "UNVERIFIABLE"),
    ("New York has about 20 million people.", "UNVERIFIABLE"),
    ("Moscow has about 50 million people.", "CONTRADICTED"),
    // A name before "of" and another is part of a longer name: not Bānk, a town in India.
    ("The Bank of England is in London.", "UNVERIFIABLE"),
    // "uses the" names a currency where a currency follows.
    ("Germany uses the euro.", "SUPPORTED"),
    ("France uses the dollar.", "CONTRADICTED"),
];

#[test]
fn sentences_through_factgate_check() {
    let cases = SENTENCES;
    let text: String = cases.iter().map(|(s, _)| *s).collect::<Vec<_>>().join("\n");
    let out = crate::common::factgate_bin()
        .args(["check", "--json", "--knowledge"])
        .arg(knowledge_dir())
        .arg(&text)
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_str(&crate::common::stdout_ok(out)).expect("json");
    let claims = v["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), cases.len());
    for (c, (sentence, want)) in claims.iter().zip(cases) {
        assert_eq!(c["text"], *sentence);
        assert_eq!(c["status"], *want, "{sentence}: {}", c["explanation"]);
        if *want != "UNVERIFIABLE" {
            assert!(
                !c["evidence"].as_array().expect("evidence").is_empty(),
                "{sentence} has evidence"
            );
        }
    }
}

#[test]
fn a_name_written_shorter_is_not_a_contradiction() {
    // The graph's capital of India is "New Delhi"; "Delhi" links to the city of that name.
    let answer = |text: &str| -> serde_json::Value {
        let out = crate::common::factgate_bin()
            .args(["check", "--json", "--verifier", "off", "--knowledge"])
            .arg(knowledge_dir())
            .args(["--prompt", "What is the capital of India?", text])
            .output()
            .expect("runs");
        let v: serde_json::Value =
            serde_json::from_str(&crate::common::stdout_ok(out)).expect("json");
        v["claims"][0].clone()
    };
    let claim = answer("Delhi.");
    assert_ne!(claim["status"], "CONTRADICTED", "{claim}");
    assert!(
        claim["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("New Delhi")),
        "{claim}"
    );
    // A different capital still is one.
    let claim = answer("Mumbai.");
    assert_eq!(claim["status"], "CONTRADICTED", "{claim}");
}

/// `factgate check --json` of `text` on the default graph, without the verifier.
fn check_without_verifier(text: &str) -> serde_json::Value {
    let out = crate::common::factgate_bin()
        .args(["check", "--json", "--verifier", "off", "--knowledge"])
        .arg(knowledge_dir())
        .arg(text)
        .output()
        .expect("runs");
    serde_json::from_str(&crate::common::stdout_ok(out)).expect("json")
}

#[test]
fn a_claim_true_of_a_lesser_namesake_is_not_called_false() {
    // London, England is in England; "London is in Ontario" is true of London, Ontario, which
    // is too small to be the London meant: neither contradicted nor supported, and the
    // explanation names the namesake it holds of.
    let v = check_without_verifier("London is in Ontario.");
    let claim = &v["claims"][0];
    assert_eq!(claim["status"], "UNVERIFIABLE", "{claim}");
    let why = claim["explanation"].as_str().expect("explanation");
    assert!(why.contains("lesser namesake, London"), "{why}");
    // Where the best-known London is in the place named, it is supported as before; for a
    // country (no `fg:otherNamesakes` on `fg:country`) the lesser namesake is not read.
    let v = check_without_verifier("London is in England.");
    assert_eq!(v["claims"][0]["status"], "SUPPORTED", "{v}");
    let v = check_without_verifier("London is in Canada.");
    assert_eq!(v["claims"][0]["status"], "CONTRADICTED", "{v}");
    // A figure of a name that is also the province's: the city's facts are no evidence.
    let v = check_without_verifier("Quebec has about 8.5 million people.");
    let claim = &v["claims"][0];
    assert_eq!(claim["status"], "UNVERIFIABLE", "{claim}");
    assert!(
        claim["evidence"].as_array().expect("evidence").is_empty(),
        "{claim}"
    );
    let why = claim["explanation"].as_str().expect("explanation");
    assert!(why.contains("also that of Quebec"), "{why}");
}

#[test]
fn a_statement_inside_a_question_is_checked() {
    // A hallucination phrased with a question tag is a claim (it used to pass unchecked, and
    // the answer was ALLOWed with no claim at all); a plain question stays no claim.
    let text = "Sydney is the capital of Australia, did you know that? What else do you like?";
    let v = check_without_verifier(text);
    let claims = v["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), 1, "{v}");
    assert_eq!(claims[0]["text"], "Sydney is the capital of Australia");
    assert_eq!(claims[0]["span"]["start"], 0);
    assert_eq!(claims[0]["status"], "CONTRADICTED", "{}", claims[0]);
    assert_eq!(v["verdict"], "block", "{v}");
}

#[test]
fn it_and_the_country_are_read_as_a_name_of_the_sentence_before() {
    let text = "Japan is an island nation in East Asia. Its capital is Tokyo, and it has about \
                125 million people. The country has an area of about 378,000 square kilometres. \
                The city has about 9 million people. Paris is the capital of France. It has about \
                68 million people. The capital of Kenya is Nairobi. It has about 4 million people. \
                Lagos is Nigeria's largest city. The country has over 200 million people.";
    let v = check_without_verifier(text);
    let statuses: Vec<(&str, &str)> = v["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .map(|c| {
            (
                c["text"].as_str().expect("text"),
                c["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("Japan is an island nation in East Asia.", "UNVERIFIABLE"),
            ("Its capital is Tokyo", "SUPPORTED"),
            ("it has about 125 million people.", "SUPPORTED"),
            (
                "The country has an area of about 378,000 square kilometres.",
                "SUPPORTED"
            ),
            // "The city" names no type of Japan's: not read as Japan.
            ("The city has about 9 million people.", "UNVERIFIABLE"),
            ("Paris is the capital of France.", "SUPPORTED"),
            // "It" is the name the sentence opened with, Paris, not France.
            ("It has about 68 million people.", "CONTRADICTED"),
            // A sentence that opens with no name leaves "it" unread.
            ("The capital of Kenya is Nairobi.", "SUPPORTED"),
            ("It has about 4 million people.", "UNVERIFIABLE"),
            // "The country" is the sentence's first country, wherever it stands.
            ("Lagos is Nigeria's largest city.", "UNVERIFIABLE"),
            ("The country has over 200 million people.", "SUPPORTED"),
        ]
    );
    let read_as = v["claims"][2]["explanation"].as_str().expect("explanation");
    assert!(
        read_as.contains("read as \"Japan has about 125 million people.\""),
        "{read_as}"
    );
}

#[test]
fn a_table_row_is_checked_cell_by_cell_under_its_header() {
    let text = "| Country | Capital | Population (2023) |\n|---|---|---|\n\
                | France | Paris | 68 million |\n| Germany | Munich | 83 million |\n\
                | Japan | Tokyo | 12 million |";
    let v = check_without_verifier(text);
    let claims = v["claims"].as_array().expect("claims");
    let statuses: Vec<&str> = claims
        .iter()
        .map(|c| c["status"].as_str().expect("status"))
        .collect();
    // The header row states nothing and is no claim.
    assert_eq!(
        statuses,
        ["SUPPORTED", "CONTRADICTED", "CONTRADICTED"],
        "{v}"
    );
    let why = claims[1]["explanation"].as_str().expect("explanation");
    assert!(why.contains("capital of Germany is Berlin"), "{why}");
    let why = claims[2]["explanation"].as_str().expect("explanation");
    assert!(why.contains("population of Japan"), "{why}");
}

/// The tutorial graph of `knowledge/VOCAB.md` (its first `turtle` block), as a user copies it.
fn vocab_example() -> String {
    let vocab = std::fs::read_to_string(knowledge_dir().join("VOCAB.md")).expect("VOCAB.md");
    let start = vocab
        .find("```turtle\n")
        .expect("a turtle block in VOCAB.md")
        + 10;
    let len = vocab[start..].find("```").expect("closed block");
    vocab[start..start + len].to_string()
}

#[test]
fn own_graphs_add_to_the_default_graph_unless_it_is_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("freedonia.ttl"), vocab_example()).expect("write");
    let text =
        "Freedonia is in Europe.\nKenya is in Europe.\nThe capital of Freedonia is Fredville.";
    let out = crate::common::factgate_bin()
        .args(["check", "--json", "--verifier", "off", "--knowledge"])
        .arg(dir.path())
        .arg(text)
        .current_dir(dir.path()) // the default graph is not looked for in the working directory
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_str(&crate::common::stdout_ok(out)).expect("json");
    let statuses: Vec<&str> = v["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .map(|c| c["status"].as_str().expect("status"))
        .collect();
    assert_eq!(
        statuses,
        ["SUPPORTED", "CONTRADICTED", "SUPPORTED"],
        "the user's facts and the default graph's are both used"
    );

    // Without the default graph the user's directory needs its own lexicon: a clear error.
    let out = crate::common::factgate_bin()
        .args([
            "check",
            "--verifier",
            "off",
            "--no-default-graph",
            "--knowledge",
        ])
        .arg(dir.path())
        .arg(text)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no fg:Predicate entries"), "{err}");
}

const CATALOGUE: &str = "\
@prefix ex:   <https://example.com/shop/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:OrionHub a ex:Product ; rdfs:label \"Orion Hub\" ; ex:listPrice 199 ; ex:madeBy ex:Acme .
ex:NovaLamp a ex:Product ; rdfs:label \"Nova Lamp\" ; ex:listPrice 49 ; ex:madeBy ex:Acme .
ex:Acme a ex:Company ; rdfs:label \"Acme Devices\" .
";

fn lexicon(args: &[&str], dir: &std::path::Path) -> (bool, String) {
    let out = crate::common::factgate_bin()
        .arg("lexicon")
        .args(args)
        .arg(dir)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn lexicon_check_finds_uncovered_predicates_and_suggest_covers_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("catalogue.ttl"), CATALOGUE).expect("write");
    let (ok, out) = lexicon(&["check"], dir.path());
    assert!(!ok, "uncovered predicates fail the check:\n{out}");
    assert!(
        out.contains("UNCOVERED <https://example.com/shop/listPrice>: 2 triple(s)"),
        "{out}"
    );
    assert!(
        out.contains("UNCOVERED <https://example.com/shop/madeBy>"),
        "{out}"
    );
    assert!(
        !out.contains("rdf-syntax-ns#type"),
        "structural predicates are not listed:\n{out}"
    );
    assert!(
        !out.contains("PROBLEM"),
        "the default lexicon is not blamed:\n{out}"
    );

    let (ok, suggestion) = lexicon(&["suggest"], dir.path());
    assert!(ok);
    assert!(
        suggestion.contains("fg:subjectType <https://example.com/shop/Product>"),
        "{suggestion}"
    );
    assert!(
        suggestion.contains("fg:valueKind \"number\""),
        "{suggestion}"
    );
    assert!(
        suggestion.contains("fg:objectType <https://example.com/shop/Company>"),
        "{suggestion}"
    );
    std::fs::write(dir.path().join("lexicon-shop.ttl"), &suggestion).expect("write");
    let (ok, out) = lexicon(&["check"], dir.path());
    assert!(
        ok,
        "the suggested entries parse and cover the graph:\n{out}"
    );

    // ... and make the user's facts checkable.
    let out = crate::common::factgate_bin()
        .args(["check", "--json", "--verifier", "off", "--knowledge"])
        .arg(dir.path())
        .arg(
            "The list price of the Orion Hub is 250.\nThe list price of the Nova Lamp is about 49.",
        )
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_str(&crate::common::stdout_ok(out)).expect("json");
    assert_eq!(
        v["claims"][0]["status"], "CONTRADICTED",
        "{}",
        v["claims"][0]
    );
    assert_eq!(v["claims"][1]["status"], "SUPPORTED", "{}", v["claims"][1]);

    // A template without {o} and an exact numeric entry are reported.
    std::fs::write(
        dir.path().join("lexicon-shop.ttl"),
        suggestion
            .replace(
                "\"The list price of {s} is {o}.\"",
                "\"The list price of {s}.\"",
            )
            .replace("    fg:tolerance 0.02 ;", ""),
    )
    .expect("write");
    let (ok, out) = lexicon(&["check"], dir.path());
    assert!(!ok);
    assert!(
        out.contains("PROBLEM <https://example.com/shop/listPrice>: fg:template"),
        "{out}"
    );
    assert!(
        out.contains("NOTE <https://example.com/shop/listPrice>: numeric with no fg:tolerance"),
        "{out}"
    );

    // A phrase the default lexicon already uses for the same subject type is a warning.
    std::fs::write(
        dir.path().join("lexicon-hq.ttl"),
        "@prefix fg: <https://factgate.dev/ns#> .\n@prefix schema: <https://schema.org/> .\n\
         <https://example.com/shop/hq> a fg:Predicate ; fg:phrase \"capital\" ; \
         fg:template \"{s} is run from {o}.\" ; fg:subjectType schema:Country ; \
         fg:objectType schema:City ; fg:valueKind \"entity\" .\n",
    )
    .expect("write");
    let (_, out) = lexicon(&["check"], dir.path());
    assert!(
        out.contains("WARNING phrase \"capital\" is in 2 predicates")
            && out.contains("<https://example.com/shop/hq>"),
        "{out}"
    );
}
