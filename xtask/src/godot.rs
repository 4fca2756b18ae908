//! Finding or provisioning a Godot 4 binary.
//!
//! Order: `GODOT4_BIN`; a `godot` on PATH that reports 4.x; on Debian/Ubuntu, Godot 4.6 from Debian's
//! unstable packages, unpacked into a per-user cache without root and reused next time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::shell::{describe, step};

const HOW_TO_SET: &str = "install Godot 4 (4.5 or newer) and set GODOT4_BIN to its executable, e.g. \
                          `export GODOT4_BIN=/path/to/Godot_v4.6-stable_linux.x86_64`";

pub fn binary() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("GODOT4_BIN").filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        println!("godot: using GODOT4_BIN={}", bin.display());
        return Ok(bin);
    }
    if let Some(version) = version_of(Path::new("godot")) {
        if version.starts_with("4.") {
            println!("godot: using `godot` from PATH ({version})");
            return Ok(PathBuf::from("godot"));
        }
        println!("godot: ignoring `godot` on PATH: version {version} is not 4.x");
    }
    provision_from_debian()
}

fn version_of(bin: &Path) -> Option<String> {
    let output = Command::new(bin).args(["--headless", "--version"]).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().map(str::trim).find(|line| line.chars().next().is_some_and(|c| c.is_ascii_digit())).map(str::to_owned)
}

fn cache_dir() -> Result<PathBuf, String> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .ok_or("neither XDG_CACHE_HOME nor HOME is set")?;
    Ok(base.join("godot-tasks").join("godot-debian-sid"))
}

fn provision_from_debian() -> Result<PathBuf, String> {
    let cache = cache_dir()?;
    let launcher = cache.join("godot");
    if let Some(version) = version_of(&launcher) {
        println!("godot: using the cached Godot {version} at {}", launcher.display());
        return Ok(launcher);
    }
    let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let debian_like = os_release
        .lines()
        .any(|l| (l.starts_with("ID=") || l.starts_with("ID_LIKE=")) && (l.contains("debian") || l.contains("ubuntu")));
    if std::env::consts::ARCH != "x86_64" {
        return Err(format!("no Godot 4 found, and provisioning supports only x86_64 Linux: {HOW_TO_SET}"));
    }
    if !debian_like || Command::new("apt-get").arg("--version").output().is_err() {
        return Err(format!("no Godot 4 found and this is not a Debian/Ubuntu machine with apt-get: {HOW_TO_SET}"));
    }
    step("Provisioning Godot 4.6 from Debian's unstable packages (no root, nothing installed system-wide)");
    println!("godot: cache folder {}", cache.display());
    let _ = fs::remove_dir_all(&cache);
    let apt = cache.join("apt");
    for dir in ["lists/partial", "cache/archives/partial", "etc"] {
        fs::create_dir_all(apt.join(dir)).map_err(|e| format!("cannot create {}: {e}", apt.join(dir).display()))?;
    }
    fs::write(apt.join("status"), "").map_err(|e| e.to_string())?;
    let mirror = debian_mirror();
    let keyring = Path::new("/usr/share/keyrings/debian-archive-keyring.gpg");
    let options = if keyring.exists() { format!("signed-by={}", keyring.display()) } else { "trusted=yes".to_owned() };
    println!("godot: package source: {mirror} sid main ({options})");
    fs::write(apt.join("etc/sources.list"), format!("deb [{options}] {mirror} sid main\n"))
        .map_err(|e| e.to_string())?;
    let apt_options = |command: &mut Command| {
        for (key, value) in [
            ("Dir::Etc::SourceList", apt.join("etc/sources.list")),
            ("Dir::Etc::SourceParts", apt.join("etc/none")),
            ("Dir::State::Lists", apt.join("lists")),
            ("Dir::Cache", apt.join("cache")),
            ("Dir::State::status", apt.join("status")),
        ] {
            command.arg("-o").arg(format!("{key}={}", value.display()));
        }
        command.args(["-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64", "-q"]);
    };
    println!("godot: downloading the package index of Debian unstable (about 17 MB)");
    let mut update = Command::new("apt-get");
    apt_options(&mut update);
    update.arg("update");
    quiet(&mut update)?;
    println!("godot: downloading the godot package and its libraries (about 160 MB)");
    let mut download = Command::new("apt-get");
    apt_options(&mut download);
    download.args(["install", "-y", "--download-only", "--no-install-recommends", "godot"]);
    quiet(&mut download)?;
    let archives = apt.join("cache/archives");
    let root = cache.join("root");
    fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let mut debs: Vec<PathBuf> = fs::read_dir(&archives)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .collect();
    debs.sort();
    println!("godot: unpacking {} packages into {}", debs.len(), root.display());
    for deb in &debs {
        quiet(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root))?;
    }
    let lib = root.join("usr/lib/x86_64-linux-gnu");
    let script = format!(
        "#!/bin/sh\n# Godot from Debian unstable, run with its own libraries (written by cargo xtask).\n\
         exec \"{lib}/ld-linux-x86-64.so.2\" --library-path \"{lib}:{lib}/pulseaudio\" \"{bin}\" \"$@\"\n",
        lib = lib.display(),
        bin = root.join("usr/bin/godot").display()
    );
    fs::write(&launcher, script).map_err(|e| e.to_string())?;
    let mut permissions = fs::metadata(&launcher).map_err(|e| e.to_string())?.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(&launcher, permissions).map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(&archives);
    match version_of(&launcher) {
        Some(version) => {
            println!("godot: ready: Godot {version} at {}", launcher.display());
            Ok(launcher)
        }
        None => Err(format!("the Godot fetched from Debian does not start: {HOW_TO_SET}")),
    }
}

/// The Debian mirror this machine's apt already uses, or Debian's default one.
fn debian_mirror() -> String {
    let mut texts = vec![fs::read_to_string("/etc/apt/sources.list").unwrap_or_default()];
    if let Ok(entries) = fs::read_dir("/etc/apt/sources.list.d") {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "sources" || ext == "list") {
                texts.push(fs::read_to_string(path).unwrap_or_default());
            }
        }
    }
    for text in &texts {
        for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
            let words =
                line.strip_prefix("URIs:").map(|rest| rest.split_whitespace().collect::<Vec<_>>()).or_else(|| {
                    line.strip_prefix("deb ")
                        .map(|rest| rest.split_whitespace().filter(|w| w.contains("://")).collect())
                });
            for uri in words.unwrap_or_default() {
                let uri = uri.trim_end_matches('/');
                if uri.ends_with("/debian") {
                    return uri.to_owned();
                }
            }
        }
    }
    "http://deb.debian.org/debian".to_owned()
}

fn quiet(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("could not start {}: {e}", describe(command)))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{}` failed:\n{}{}\n{HOW_TO_SET}",
        describe(command),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
