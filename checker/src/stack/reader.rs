//! Reads typed values out of the resolved YAML tree, with errors that point
//! into the file: what every part of the stack (functions, routes, tables,
//! the role) reads its fields with.

use std::path::Path;

use super::error::{Location, StackError, StackErrorKind};
use super::yaml::{Kind, Node, Pos};

/// Reads typed values out of the tree, with errors pointing into `file`.
pub(super) struct Reader<'a> {
    pub(super) file: &'a Path,
}

impl Reader<'_> {
    pub(super) fn at(&self, pos: Pos) -> Location {
        Location::new(self.file, pos)
    }

    pub(super) fn wrong(
        &self,
        node: &Node,
        field: &str,
        expected: &'static str,
        example: &str,
    ) -> StackError {
        StackErrorKind::WrongType {
            at: self.at(node.pos),
            field: field.to_owned(),
            expected,
            found: node.kind.to_string(),
            example: example.to_owned(),
        }
        .into()
    }

    /// A text value; `None` when the key is absent or empty.
    pub(super) fn text(
        &self,
        parent: &Node,
        key: &str,
        field: &str,
        example: &str,
    ) -> Result<Option<String>, StackError> {
        match parent.get(key) {
            None => Ok(None),
            Some(node) => match &node.kind {
                Kind::Null => Ok(None),
                Kind::Str(text) => Ok(Some(text.clone())),
                _ => Err(self.wrong(node, field, "a text", example)),
            },
        }
    }

    /// A mapping's entries; `None` when the key is absent or empty.
    pub(super) fn mapping<'n>(
        &self,
        parent: &'n Node,
        key: &str,
        field: &str,
        example: &str,
    ) -> Result<Option<&'n Node>, StackError> {
        match parent.get(key) {
            None => Ok(None),
            Some(node) => match &node.kind {
                Kind::Null => Ok(None),
                Kind::Map(_) => Ok(Some(node)),
                _ => Err(self.wrong(node, field, "a mapping", example)),
            },
        }
    }
}
