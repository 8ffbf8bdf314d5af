//! `socketsundso init`.

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::ui::Ui;

pub fn run(
    _dir: &Path,
    _name: Option<&str>,
    _path: Option<&Path>,
    _ui: &mut Ui,
) -> Result<(), Diagnostic> {
    Err(Diagnostic::error("`init` is not implemented yet"))
}
