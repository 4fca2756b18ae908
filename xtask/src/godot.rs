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
    if let Some(reason) = cannot_provision() {
        return Err(format!("no Godot 4 found, and {reason}: {HOW_TO_SET}"));
    }
    step("Provisioning Godot 4.6 from Debian's unstable packages (no root, nothing installed system-wide)");
    println!("godot: cache folder {}", cache.display());
    let _ = fs::remove_dir_all(&cache);
    let root = cache.join("root");
    Apt::new(&cache)
        .and_then(|apt| apt.fetch("the godot package and its libraries (about 160 MB)", &["godot"], &root))
        .map_err(|e| format!("{e}\n{HOW_TO_SET}"))?;
    let lib = root.join("usr/lib/x86_64-linux-gnu");
    let script = format!(
        "#!/bin/sh\n# Godot from Debian unstable, run with its own libraries (written by cargo xtask).\n\
         exec \"{lib}/ld-linux-x86-64.so.2\" --library-path \"{lib}:{lib}/pulseaudio\" \"{bin}\" \"$@\"\n",
        lib = lib.display(),
        bin = root.join("usr/bin/godot").display()
    );
    write_executable(&launcher, &script)?;
    match version_of(&launcher) {
        Some(version) => {
            println!("godot: ready: Godot {version} at {}", launcher.display());
            Ok(launcher)
        }
        None => Err(format!("the Godot fetched from Debian does not start: {HOW_TO_SET}")),
    }
}

/// Why packages cannot be fetched from Debian here, if they cannot.
fn cannot_provision() -> Option<&'static str> {
    let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let debian_like = os_release
        .lines()
        .any(|l| (l.starts_with("ID=") || l.starts_with("ID_LIKE=")) && (l.contains("debian") || l.contains("ubuntu")));
    if std::env::consts::ARCH != "x86_64" {
        return Some("provisioning supports only x86_64 Linux");
    }
    if !debian_like || Command::new("apt-get").arg("--version").output().is_err() {
        return Some("this is not a Debian/Ubuntu machine with apt-get");
    }
    None
}

/// A private apt setup for Debian unstable under the cache folder: it downloads packages with their
/// dependencies and unpacks them into a folder, without root. Its status file lists what was unpacked, so a
/// later fetch into the same folder downloads only what is missing.
struct Apt {
    dir: PathBuf,
}

impl Apt {
    fn new(cache: &Path) -> Result<Apt, String> {
        let dir = cache.join("apt");
        for sub in ["lists/partial", "cache/archives/partial", "etc"] {
            fs::create_dir_all(dir.join(sub)).map_err(|e| format!("cannot create {}: {e}", dir.join(sub).display()))?;
        }
        if !dir.join("status").exists() {
            fs::write(dir.join("status"), "").map_err(|e| e.to_string())?;
        }
        let mirror = debian_mirror();
        let keyring = Path::new("/usr/share/keyrings/debian-archive-keyring.gpg");
        let options =
            if keyring.exists() { format!("signed-by={}", keyring.display()) } else { "trusted=yes".to_owned() };
        println!("godot: package source: {mirror} sid main ({options})");
        fs::write(dir.join("etc/sources.list"), format!("deb [{options}] {mirror} sid main\n"))
            .map_err(|e| e.to_string())?;
        Ok(Apt { dir })
    }

    fn apt_get(&self) -> Command {
        let mut command = Command::new("apt-get");
        for (key, value) in [
            ("Dir::Etc::SourceList", "etc/sources.list"),
            ("Dir::Etc::SourceParts", "etc/none"),
            ("Dir::State::Lists", "lists"),
            ("Dir::Cache", "cache"),
            ("Dir::State::status", "status"),
        ] {
            command.arg("-o").arg(format!("{key}={}", self.dir.join(value).display()));
        }
        command.args(["-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64", "-q"]);
        command
    }

    /// Downloads `packages` and what they depend on (`what` says what that is, for people) and unpacks them
    /// into `root`.
    fn fetch(&self, what: &str, packages: &[&str], root: &Path) -> Result<(), String> {
        println!("godot: downloading the package index of Debian unstable (about 17 MB)");
        quiet(self.apt_get().arg("update"))?;
        println!("godot: downloading {what}");
        quiet(self.apt_get().args(["install", "-y", "--download-only", "--no-install-recommends"]).args(packages))?;
        let archives = self.dir.join("cache/archives");
        let mut debs: Vec<PathBuf> = fs::read_dir(&archives)
            .map_err(|e| e.to_string())?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "deb"))
            .collect();
        debs.sort();
        fs::create_dir_all(root).map_err(|e| e.to_string())?;
        println!("godot: unpacking {} packages into {}", debs.len(), root.display());
        let mut status = fs::read_to_string(self.dir.join("status")).unwrap_or_default();
        for deb in &debs {
            quiet(Command::new("dpkg-deb").arg("-x").arg(deb).arg(root))?;
            let output = Command::new("dpkg-deb").arg("-f").arg(deb).output().map_err(|e| e.to_string())?;
            status.push_str(String::from_utf8_lossy(&output.stdout).trim_end());
            status.push_str("\nStatus: install ok installed\n\n");
        }
        fs::write(self.dir.join("status"), status).map_err(|e| e.to_string())?;
        let _ = fs::remove_dir_all(&archives);
        Ok(())
    }
}

fn write_executable(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut permissions = fs::metadata(path).map_err(|e| e.to_string())?.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(path, permissions).map_err(|e| e.to_string())
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
        "`{}` failed:\n{}{}",
        describe(command),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
