//! `--watch`: generate once, then again whenever the document or a file it references changes.
//!
//! It watches the directories of those files (not the files themselves: editors often save by
//! writing a new file and renaming it over the old one, which ends a watch on the file), and
//! keeps the events that create, change or remove the files themselves; reads (the generator's
//! own) are ignored. Events are debounced: one save, which is often several events, regenerates
//! once, after the files have been quiet for [`DEBOUNCE`]. A broken document prints its error
//! and the watch goes on; the next save tries again. The list of files follows the document's
//! `$ref`s as they change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use notify::{Event, EventKind, RecursiveMode, Watcher};

use crate::diagnostic::Diagnostic;
use crate::ui::Ui;

/// How long the files must stay quiet before generating again.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// Runs `generate` now and after every change of the files it read; returns only when the
/// watch cannot go on (exit 2).
pub fn run(
    spec: &Path,
    ui: &mut Ui,
    mut generate: impl FnMut(&mut Ui) -> Result<Vec<PathBuf>, Diagnostic>,
) -> Result<ExitCode, Diagnostic> {
    let (tx, rx) = mpsc::channel::<notify::Result<Event>>();
    let mut watcher = notify::recommended_watcher(tx)
        .map_err(|e| Diagnostic::error(format!("cannot watch files: {e}")))?;
    let mut watched_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut sources = vec![spec.to_owned()];
    loop {
        match generate(ui) {
            Ok(read) => sources = read,
            Err(diagnostic) => {
                ui.error(&diagnostic);
                // Keep watching what was read before, and the spec itself.
                sources.push(spec.to_owned());
            }
        }
        let files: BTreeSet<PathBuf> = sources.iter().map(|f| absolute(f)).collect();
        let dirs: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_owned))
            .collect();
        for dir in dirs.difference(&watched_dirs) {
            watcher
                .watch(dir, RecursiveMode::NonRecursive)
                .map_err(|e| Diagnostic::error(format!("cannot watch {}: {e}", dir.display())))?;
        }
        for dir in watched_dirs.difference(&dirs) {
            // A directory that no file needs any more; failing to unwatch it is harmless.
            let _ = watcher.unwatch(dir);
        }
        watched_dirs = dirs;
        ui.note(&format!(
            "watching {} file{} for changes (Ctrl-C to stop)",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        ));

        // Wait for a change to one of the files, then for quiet.
        let mut changed = BTreeSet::new();
        while changed.is_empty() {
            let event = rx
                .recv()
                .map_err(|_| Diagnostic::error("the file watcher stopped"))?;
            collect(event, &files, &mut changed, ui);
        }
        while let Ok(event) = rx.recv_timeout(DEBOUNCE) {
            collect(event, &files, &mut changed, ui);
        }
        let names: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
        ui.note(&format!("changed: {}", names.join(", ")));
    }
}

/// Adds the watched files that `event` creates, changes or removes to `changed`.
fn collect(
    event: notify::Result<Event>,
    files: &BTreeSet<PathBuf>,
    changed: &mut BTreeSet<PathBuf>,
    ui: &mut Ui,
) {
    let event = match event {
        Ok(event) => event,
        Err(e) => {
            ui.error(&Diagnostic::error(format!("watching files: {e}")));
            return;
        }
    };
    if !matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any
    ) {
        return;
    }
    for path in event.paths {
        let path = absolute(&path);
        if files.contains(&path) {
            changed.insert(path);
        }
    }
}

/// The path as the watcher reports it: absolute, with the symbolic links of its directory
/// resolved (the file itself may be gone for a moment while an editor saves it).
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map_or_else(|_| path.clone(), |dir| dir.join(name)),
        _ => path,
    }
}
