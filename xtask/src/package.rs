//! The packaging step of `cargo xtask test`: `cargo package --workspace`, built from what would be published.

use std::path::PathBuf;

use crate::shell::{cargo, root, run, step};

/// The crates this workspace publishes; `cargo package` verifies each against the others' packaged copies.
const PUBLISHED: &[&str] = &["godot-tasks", "godot-tasks-executor"];

pub fn package_workspace() -> Result<(), String> {
    step("Packages (cargo package --workspace: the library crates build from what would be published)");
    forget_stale_unpacked_copies()?;
    forget_stale_builds()?;
    run(cargo().args(["package", "--workspace", "--allow-dirty"]))
}

/// `cargo package --workspace` puts the packaged crates in a temporary local registry under `target/` and
/// unpacks them into cargo's shared source cache, in a folder named after that registry's path (`-<hash>`).
/// Cargo never unpacks a crate again once its folder exists, and the version does not change between commits,
/// so a checkout at a path that was packaged before would verify against the sources of that older run. Those
/// unpacked copies are removed first, so that the verification always builds the sources of this checkout.
fn forget_stale_unpacked_copies() -> Result<(), String> {
    let Some(sources) = cargo_home().map(|home| home.join("registry/src")) else { return Ok(()) };
    let Ok(registries) = std::fs::read_dir(&sources) else { return Ok(()) };
    for registry in registries.flatten() {
        // A registry on a path has no host, so its folder name starts with the separator; crates.io's does not.
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let Ok(unpacked) = std::fs::read_dir(registry.path()) else { continue };
        for copy in unpacked.flatten() {
            let name = copy.file_name().to_string_lossy().into_owned();
            let ours = PUBLISHED.iter().any(|crate_name| {
                name.strip_prefix(crate_name)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
            });
            if ours {
                std::fs::remove_dir_all(copy.path())
                    .map_err(|e| format!("cannot remove the stale unpacked copy {}: {e}", copy.path().display()))?;
            }
        }
    }
    Ok(())
}

/// The same staleness one step later: cargo rebuilds a registry crate only when its version changes, so the
/// build of an earlier packaging run, in this checkout's target folder, would be reused for newer sources.
/// Those builds are the ones whose dependency list names a file in a path registry's unpacked copy; their
/// fingerprints are removed, so cargo builds them again (the workspace's own builds are left alone).
fn forget_stale_builds() -> Result<(), String> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let Ok(deps) = std::fs::read_dir(target.join("debug/deps")) else { return Ok(()) };
    for dep_info in deps.flatten() {
        let file_name = dep_info.file_name().to_string_lossy().into_owned();
        let Some(unit) = file_name.strip_suffix(".d") else { continue };
        let Some((crate_name, hash)) = unit.rsplit_once('-') else { continue };
        if !PUBLISHED.iter().any(|published| published.replace('-', "_") == crate_name) {
            continue;
        }
        let from_path_registry =
            std::fs::read_to_string(dep_info.path()).is_ok_and(|list| list.contains("/registry/src/-"));
        if !from_path_registry {
            continue;
        }
        let fingerprint = target.join("debug/.fingerprint").join(format!("{}-{hash}", crate_name.replace('_', "-")));
        if fingerprint.exists() {
            std::fs::remove_dir_all(&fingerprint)
                .map_err(|e| format!("cannot remove the stale build {}: {e}", fingerprint.display()))?;
        }
    }
    Ok(())
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}
