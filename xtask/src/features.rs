//! `cargo xtask features`: the binaries build every third-party crate with
//! a feature set the workspace's test build has (the `workspace-hack`
//! crate, `docs/decisions/0016-one-feature-set-workspace-hack.md`).

use std::collections::{BTreeMap, BTreeSet};

use crate::tasks::{cargo_cmd as cargo, output};

type Result<T = ()> = std::result::Result<T, String>;

/// The binaries build with the workspace's feature sets (the
/// `workspace-hack` crate), or `cargo run -p todo` after the tests would
/// rebuild tokio, serde and everything above them: every third-party crate
/// in a binary's graph has a feature set it has in the workspace's build.
pub(crate) fn check_feature_sets() -> Result {
    println!("==> one feature set for the workspace and its binaries (workspace-hack)");
    let tree = |args: &[&str]| -> Result<FeatureSets> {
        let out = output(
            cargo()
                .arg("tree")
                .args(args)
                .args(["--prefix", "none", "--format", "{p} {f}"]),
        )?;
        Ok(feature_sets(&out))
    };
    let workspace = tree(&["--workspace"])?;
    for bin in ["todo", "todo-actix", "portcullis-cli"] {
        let own = tree(&["-p", bin, "-e", "normal,build"])?;
        let other: Vec<&String> = own
            .iter()
            .filter(|(k, v)| workspace.get(*k).is_some_and(|w| !v.is_subset(w)))
            .map(|(k, _)| k)
            .collect();
        if !other.is_empty() {
            return Err(format!(
                "{bin} builds {other:?} with other features than the workspace: \
                 run `cargo hakari generate` (crates/workspace-hack/README.md)"
            ));
        }
        println!("    {bin}: {} crates, the workspace's features", own.len());
    }
    Ok(())
}

/// `name version` → the feature lists it is built with.
type FeatureSets = BTreeMap<String, BTreeSet<String>>;

/// Reads `cargo tree --format "{p} {f}"`; workspace members (a path in
/// `{p}`) are left out.
fn feature_sets(tree: &str) -> FeatureSets {
    let mut sets = FeatureSets::new();
    for line in tree.lines() {
        let line = line.trim_end_matches(" (*)").replace(" (proc-macro)", "");
        if line.contains("(/") {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let (Some(name), Some(version)) = (parts.next(), parts.next()) else {
            continue;
        };
        let features = parts.next().unwrap_or_default().to_owned();
        sets.entry(format!("{name} {version}"))
            .or_default()
            .insert(features);
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::feature_sets;

    #[test]
    fn feature_sets_are_read_per_crate_and_members_left_out() {
        let tree = "todo v0.1.0 (/w/examples/todo) \n\
                    tokio v1.54.1 macros,rt\n\
                    tokio v1.54.1 macros,rt (*)\n\
                    serde_derive v1.0.229 (proc-macro) default\n\
                    foldhash v0.2.0 \n\
                    tokio v1.54.1 parking_lot\n";
        let sets = feature_sets(tree);
        assert_eq!(sets.len(), 3, "{sets:?}");
        let tokio: Vec<&str> = sets["tokio v1.54.1"].iter().map(String::as_str).collect();
        assert_eq!(tokio, ["macros,rt", "parking_lot"]);
        let derive: Vec<&str> = sets["serde_derive v1.0.229"]
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(derive, ["default"]);
        let fold: Vec<&str> = sets["foldhash v0.2.0"].iter().map(String::as_str).collect();
        assert_eq!(fold, [""]);
    }
}
