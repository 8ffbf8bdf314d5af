//! Emitters: each turns the [`Api`](crate::ir::Api) into the text of one output file.

pub(crate) mod check;
pub(crate) mod compact;
pub(crate) mod docs;
pub(crate) mod rust;
pub(crate) mod typescript;
pub(crate) mod view;
