//! The Flux version floor: every Flux file of the project, and the Flux the sidecar
//! builds, uses exactly the standard-library functions that `flux/functions.toml`
//! lists for it; each of them exists, in the form used, in the Flux that the
//! documented oldest InfluxDB pins; and the README states that floor.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use genesys_aht_tests::flux::functions_used;
use syn::visit::Visit;
use toml::{Table, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    let path = repo().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn table() -> Table {
    read("flux/functions.toml")
        .parse()
        .unwrap_or_else(|e| panic!("flux/functions.toml: {e}"))
}

fn section<'a>(table: &'a Table, name: &str) -> &'a Table {
    table
        .get(name)
        .and_then(Value::as_table)
        .unwrap_or_else(|| panic!("flux/functions.toml: no [{name}]"))
}

fn string<'a>(table: &'a Table, key: &str) -> &'a str {
    table
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("flux/functions.toml: {key} is not a string"))
}

/// `"0.94.0"` → `(0, 94, 0)`.
fn version(text: &str) -> (u32, u32, u32) {
    let parts: Vec<u32> = text
        .split('.')
        .map(|p| p.parse().unwrap_or_else(|_| panic!("version {text:?}")))
        .collect();
    match parts.as_slice() {
        [major, minor, patch] => (*major, *minor, *patch),
        _ => panic!("version {text:?} is not major.minor.patch"),
    }
}

/// The functions a listed file uses: a Flux file's own, or for Rust source those
/// of each of its string literals (outside `#[cfg(test)]` modules and doc
/// comments), which hold the pieces of the scripts it builds. Each literal is read
/// on its own: one may hold a lone quote (an escape the code writes).
fn functions_of(path: &str) -> BTreeSet<String> {
    let text = read(path);
    if !path.ends_with(".rs") {
        return functions_used(&text);
    }
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut literals = Literals::default();
    literals.visit_file(&file);
    assert!(literals.0.len() > 10, "{path}: string literals found");
    literals.0.iter().flat_map(|l| functions_used(l)).collect()
}

#[derive(Default)]
struct Literals(Vec<String>);

impl<'ast> Visit<'ast> for Literals {
    fn visit_lit_str(&mut self, literal: &'ast syn::LitStr) {
        self.0.push(literal.value());
    }

    /// Doc comments are prose, not Flux.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    /// `format!("filter(fn: ...)", ...)`: the arguments of comma-separated macros.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let arguments = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        );
        for argument in arguments.iter().flatten() {
            self.visit_expr(argument);
        }
    }

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        let test_only = module.attrs.iter().any(|attr| {
            attr.path().is_ident("cfg")
                && attr
                    .parse_args::<syn::Ident>()
                    .is_ok_and(|arg| arg == "test")
        });
        if !test_only {
            syn::visit::visit_item_mod(self, module);
        }
    }
}

fn listed(files: &Table, path: &str) -> BTreeSet<String> {
    files
        .get(path)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("flux/functions.toml: [files] has no list for {path}"))
        .iter()
        .map(|v| v.as_str().expect("function names are strings").to_owned())
        .collect()
}

/// Every `.flux` file of `flux/` is listed, with the sidecar's Flux.
#[test]
fn every_flux_file_is_listed() {
    let table = table();
    let files = section(&table, "files");
    let mut on_disk: Vec<String> = std::fs::read_dir(repo().join("flux"))
        .expect("read flux/")
        .map(|e| {
            e.expect("flux/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".flux"))
        .map(|name| format!("flux/{name}"))
        .collect();
    on_disk.push("sidecar/src/backend/flux.rs".to_owned());
    on_disk.sort();
    let mut in_table: Vec<String> = files.keys().cloned().collect();
    in_table.sort();
    assert_eq!(in_table, on_disk);
}

/// The functions each file calls are exactly its list: a new function needs an
/// entry (and its version), a dropped one leaves none behind.
#[test]
fn each_file_uses_exactly_the_functions_listed_for_it() {
    let table = table();
    let files = section(&table, "files");
    for path in files.keys() {
        let used = functions_of(path);
        assert_eq!(
            used,
            listed(files, path),
            "{path}: functions used vs listed"
        );
    }
}

/// Every listed function has a version no newer than the Flux of the oldest
/// supported InfluxDB, and that InfluxDB is the oldest release whose Flux is new
/// enough; nothing avoided is used.
#[test]
fn every_function_is_older_than_the_floor() {
    let table = table();
    let (files, functions, avoided) = (
        section(&table, "files"),
        section(&table, "functions"),
        section(&table, "avoided"),
    );
    let floor = section(&table, "floor");
    let pins = section(&table, "influxdb_flux");
    let (influxdb, flux) = (string(floor, "influxdb"), string(floor, "flux"));
    assert_eq!(string(pins, influxdb), flux, "the floor's Flux is its pin");

    let mut needed = (0, 0, 0);
    for path in files.keys() {
        for function in listed(files, path) {
            assert!(
                !avoided.contains_key(&function),
                "{path} uses {function}, avoided"
            );
            let entry = functions
                .get(&function)
                .and_then(Value::as_table)
                .unwrap_or_else(|| panic!("{path} uses {function}, which has no version entry"));
            assert!(!string(entry, "source").is_empty(), "{function}: a source");
            let since = version(string(entry, "since"));
            assert!(
                since <= version(flux),
                "{path}: {function} needs Flux {since:?}"
            );
            needed = needed.max(since);
        }
    }
    let oldest = pins
        .iter()
        .filter(|(_, pin)| version(pin.as_str().expect("a version")) >= needed)
        .map(|(release, _)| version(release))
        .min()
        .expect("some release runs it");
    assert_eq!(
        oldest,
        version(influxdb),
        "the floor is the oldest release that runs it"
    );
    let used: BTreeSet<String> = files.keys().flat_map(|p| listed(files, p)).collect();
    let entries: BTreeSet<String> = functions.keys().cloned().collect();
    assert_eq!(entries, used, "no entry for a function nothing uses");
}

#[test]
fn the_readme_states_the_floor_and_where_it_comes_from() {
    let table = table();
    let floor = section(&table, "floor");
    // Markdown wraps lines anywhere.
    let readme = read("README.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let statement = format!(
        "InfluxDB OSS v{} (Flux v{})",
        string(floor, "influxdb"),
        string(floor, "flux")
    );
    assert!(readme.contains(&statement), "README: {statement}");
    assert!(
        readme.contains("flux/functions.toml"),
        "README names the table"
    );
}

/// The extraction sees calls and functions passed by name, with or without a
/// package, and nothing in comments, strings, keywords or numbers.
#[test]
fn functions_are_extracted_from_code_only() {
    let flux = r#"import "date"
// lastSuccess(orTime: now()) in a comment
start = date.sub(d: 1h, from: now()) // date.add( here too
x = "map(fn: ...) in a string \" still inside sum("
y = if not (1h > 2h) then exists r.a else 1.0
z = from(bucket: "b") |> aggregateWindow(every: 1h, fn: sum) |> filter(fn: (r) => r["skill"] == {})
w = float (v: 1)
"#;
    let used: Vec<String> = functions_used(flux).into_iter().collect();
    assert_eq!(
        used,
        [
            "aggregateWindow",
            "date.sub",
            "filter",
            "float",
            "from",
            "now",
            "sum"
        ]
    );
}

/// A call that is not listed fails the comparison, as a new function would.
#[test]
fn a_function_missing_from_the_list_is_caught() {
    let table = table();
    let files = section(&table, "files");
    let path = "flux/genesys_aht_1h.flux";
    let changed = read(path).replace(
        "start = date.truncate(t: -horizon, unit: 1h)",
        "start = date.sub(d: horizon, from: stop)",
    );
    let used = functions_used(&changed);
    assert!(used.contains("date.sub"));
    assert_ne!(used, listed(files, path));
    assert!(section(&table, "avoided").contains_key("date.sub"));
}
