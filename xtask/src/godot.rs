//! Finding or provisioning a Godot 4 binary.
//!
//! Order: `GODOT4_BIN`; a `godot` on PATH that reports 4.x; on Debian/Ubuntu, Godot 4.6 from Debian's
//! unstable packages, unpacked into a per-user cache without root and reused next time.
//!
//! For windowed runs (`cargo xtask screenshots`, `cargo xtask demo --window`) the provisioned Godot gets Mesa
//! and the X11 libraries fetched into the same cache ([`gl_environment`]), and, where no `Xvfb` is installed,
//! Debian's Xvfb too ([`private_xvfb`]). A Godot from `GODOT4_BIN` or PATH uses the host's OpenGL as it is.

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

/// Packages for Godot's Compatibility renderer (OpenGL 3.3, or OpenGL ES 3 through EGL) on Mesa, under X11.
/// Mesa brings llvmpipe, its software rasteriser, for machines without a GPU (or Xvfb).
const GL_PACKAGES: &[&str] = &[
    "libgl1-mesa-dri",
    "libglx-mesa0",
    "libgl1",
    "libglx0",
    "libegl1",
    "libegl-mesa0",
    "libx11-6",
    "libxcursor1",
    "libxinerama1",
    "libxrandr2",
    "libxi6",
    "libxext6",
    "libxrender1",
    "libxkbcommon0",
];

/// The unpacked Debian root of the provisioned Godot, if `bin` is that Godot.
fn provisioned_root(bin: &Path) -> Option<PathBuf> {
    let cache = cache_dir().ok()?;
    (bin == cache.join("godot")).then(|| cache.join("root"))
}

/// Environment variables under which `bin` renders with OpenGL: for the provisioned Godot, its own Mesa
/// (fetched into its root once, nothing from the host's /usr/lib mixed in), `software` forcing llvmpipe; for
/// any other Godot none, it uses the host's OpenGL as it is.
pub fn gl_environment(bin: &Path, software: bool) -> Result<Vec<(&'static str, PathBuf)>, String> {
    let Some(root) = provisioned_root(bin) else { return Ok(Vec::new()) };
    provision_once(&root, "mesa", "Mesa and the X11 libraries for OpenGL", GL_PACKAGES)?;
    let lib = root.join("usr/lib/x86_64-linux-gnu");
    let mut env = vec![
        // Mesa's DRI drivers (swrast and hardware ones), the GLX vendor library (libGLX_mesa), Mesa's EGL.
        ("LIBGL_DRIVERS_PATH", lib.join("dri")),
        ("__GLX_VENDOR_LIBRARY_NAME", PathBuf::from("mesa")),
        ("__EGL_VENDOR_LIBRARY_FILENAMES", root.join("usr/share/glvnd/egl_vendor.d/50_mesa.json")),
        ("XKB_CONFIG_ROOT", root.join("usr/share/X11/xkb")),
    ];
    if software {
        env.push(("LIBGL_ALWAYS_SOFTWARE", PathBuf::from("1")));
    }
    Ok(env)
}

/// Xvfb (the X server drawing into memory) from Debian unstable, run by the loader of the provisioned root: a
/// command with the program and its first arguments set, to which the caller adds its own.
///
/// Xvfb runs `xkbcomp` from a folder compiled into it (`/usr/bin`), with no option to change it. The copy run
/// here has that folder replaced by `.`, and runs in a folder holding an `xkbcomp` that starts the unpacked one.
pub fn private_xvfb() -> Result<Command, String> {
    if let Some(reason) = cannot_provision() {
        return Err(reason.to_owned());
    }
    let cache = cache_dir()?;
    let root = cache.join("root");
    const XVFB_PACKAGES: &[&str] = &["xvfb", "x11-xkb-utils", "xkb-data", "libgl1-mesa-dri"];
    let fetched = provision_once(&root, "xvfb", "Xvfb, xkbcomp and the keyboard data", XVFB_PACKAGES)?;
    let lib = root.join("usr/lib/x86_64-linux-gnu");
    let loader = lib.join("ld-linux-x86-64.so.2");
    let dir = cache.join("xvfb");
    let xvfb = dir.join("Xvfb");
    if fetched || !xvfb.exists() {
        let original = root.join("usr/bin/Xvfb");
        let binary = fs::read(&original).map_err(|e| format!("cannot read {}: {e}", original.display()))?;
        let (from, to) = (b"\0/usr/bin\0", b"\0.\0\0\0\0\0\0\0\0");
        let at: Vec<usize> =
            binary.windows(from.len()).enumerate().filter(|(_, w)| w == from).map(|(i, _)| i).collect();
        let [at] = at[..] else {
            return Err(format!(
                "{}: the xkbcomp folder `/usr/bin` is there {} times, not once",
                original.display(),
                at.len()
            ));
        };
        let mut patched = binary;
        patched[at..at + to.len()].copy_from_slice(to);
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let script = format!(
            "#!/bin/sh\n# xkbcomp from Debian unstable, for the Xvfb beside it (written by cargo xtask).\n\
             exec \"{loader}\" --library-path \"{lib}\" \"{bin}\" \"$@\"\n",
            loader = loader.display(),
            lib = lib.display(),
            bin = root.join("usr/bin/xkbcomp").display()
        );
        write_executable(&dir.join("xkbcomp"), &script)?;
        let partial = dir.join("Xvfb.partial");
        fs::write(&partial, patched).map_err(|e| e.to_string())?;
        fs::rename(&partial, &xvfb).map_err(|e| e.to_string())?;
    }
    let mut command = Command::new(&loader);
    command.arg("--library-path").arg(&lib).arg(&xvfb).arg("-xkbdir").arg(root.join("usr/share/X11/xkb"));
    // Xvfb's own GLX (which the clients' GLX needs) loads Mesa's swrast driver.
    command.env("LIBGL_DRIVERS_PATH", lib.join("dri")).current_dir(&dir);
    Ok(command)
}

/// Fetches `packages` into `root` unless the stamp file `<name>.done` beside it says that this list is there;
/// tells whether it fetched them.
fn provision_once(root: &Path, name: &str, what: &str, packages: &[&str]) -> Result<bool, String> {
    let cache = root.parent().ok_or("the provisioned root has no parent folder")?;
    let stamp = cache.join(format!("{name}.done"));
    let list = packages.join("\n") + "\n";
    if fs::read_to_string(&stamp).is_ok_and(|done| done == list) {
        return Ok(false);
    }
    if let Some(reason) = cannot_provision() {
        return Err(reason.to_owned());
    }
    step(&format!("Provisioning {what} from Debian's unstable packages (no root, nothing installed system-wide)"));
    let start = std::time::Instant::now();
    Apt::new(cache)?.fetch(what, packages, root)?;
    fs::write(&stamp, list).map_err(|e| e.to_string())?;
    println!("godot: {name} ready after {}", crate::shell::elapsed(start));
    Ok(true)
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
