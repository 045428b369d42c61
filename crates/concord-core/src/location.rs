//! Errors in data files (the charter, the history) that name the file, line and column.

use std::fmt;

/// One step of a path into a TOML document: a key, or an index in an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Where in a TOML document a value stands, as keys and indexes (`sessions[3].attendance.XYZ`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataPath(pub Vec<PathStep>);

impl DataPath {
    /// The path extended by a key.
    pub fn key(&self, k: impl Into<String>) -> DataPath {
        let mut steps = self.0.clone();
        steps.push(PathStep::Key(k.into()));
        DataPath(steps)
    }

    /// The path extended by an array index.
    pub fn index(&self, i: usize) -> DataPath {
        let mut steps = self.0.clone();
        steps.push(PathStep::Index(i));
        DataPath(steps)
    }

    /// Starts a path at a top-level key.
    pub fn root(k: impl Into<String>) -> DataPath {
        DataPath::default().key(k)
    }
}

impl fmt::Display for DataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Key(k) if i == 0 => write!(f, "{k}")?,
                PathStep::Key(k) => write!(f, ".{k}")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A data file that cannot be used, with where and why: `history.toml:41:12: …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DataError {
    /// The file's name as the user gave it.
    pub file: String,
    /// 1-based line, when the place could be found.
    pub line: Option<usize>,
    /// 1-based column (in characters), when the place could be found.
    pub column: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A TOML file being read: its name and text, to turn byte offsets and paths into
/// line and column.
pub struct SourceFile<'a> {
    /// The name to report.
    pub name: &'a str,
    /// The whole text.
    pub text: &'a str,
}

impl<'a> SourceFile<'a> {
    /// An error at a byte offset of the text.
    pub fn error_at(&self, offset: Option<usize>, message: impl Into<String>) -> DataError {
        let (line, column) = match offset {
            Some(offset) => {
                let offset = offset.min(self.text.len());
                let before = &self.text[..offset];
                let line = before.matches('\n').count() + 1;
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                let column = before[line_start..].chars().count() + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        DataError {
            file: self.name.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Parses the text with serde, turning a syntax or type error into a located one.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, DataError> {
        toml::from_str(self.text).map_err(|e| {
            let offset = e.span().map(|s| s.start);
            // The TOML reader gives some syntax errors (a value missing at the end of the
            // file) no message of their own.
            let message = match e.message().trim() {
                "" => "incomplete TOML: a value or closing bracket is missing here".to_owned(),
                m => m.to_owned(),
            };
            self.error_at(offset, message)
        })
    }

    /// An error about the value at `path`, located by reading the document again with spans.
    pub fn error_at_path(&self, path: &DataPath, message: impl Into<String>) -> DataError {
        let message = format!("{path}: {}", message.into());
        self.error_at(self.offset_of(path), message)
    }

    /// The byte offset where the value at `path` starts, or the nearest enclosing one found.
    fn offset_of(&self, path: &DataPath) -> Option<usize> {
        use toml_edit::{Item, TableLike, Value};
        enum Node<'d> {
            Item(&'d Item),
            Table(&'d toml_edit::Table),
            Value(&'d Value),
        }
        let doc = toml_edit::ImDocument::parse(self.text).ok()?;
        let mut best = None;
        let mut node = Node::Item(doc.as_item());
        for step in &path.0 {
            let (span, next) = match step {
                PathStep::Key(k) => {
                    let table: &dyn TableLike = match node {
                        Node::Item(item) => match item.as_table_like() {
                            Some(t) => t,
                            None => return best,
                        },
                        Node::Table(t) => t,
                        Node::Value(v) => match v.as_inline_table() {
                            Some(t) => t,
                            None => return best,
                        },
                    };
                    let Some((key, item)) = table.get_key_value(k) else {
                        return best;
                    };
                    (key.span(), Node::Item(item))
                }
                PathStep::Index(i) => {
                    let array = match node {
                        Node::Item(Item::ArrayOfTables(tables)) => {
                            let Some(t) = tables.get(*i) else { return best };
                            best = t.span().map(|s| s.start).or(best);
                            node = Node::Table(t);
                            continue;
                        }
                        Node::Item(Item::Value(Value::Array(a))) | Node::Value(Value::Array(a)) => {
                            a
                        }
                        _ => return best,
                    };
                    let Some(v) = array.get(*i) else { return best };
                    (v.span(), Node::Value(v))
                }
            };
            best = span.map(|s| s.start).or(best);
            node = next;
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_keys_inside_arrays_of_tables() {
        let text = "[[sessions]]\nid = \"a\"\n\n[[sessions]]\nid = \"b\"\nattendance = { ARM = \"present\", XYZ = \"absent\" }\n";
        let file = SourceFile {
            name: "history.toml",
            text,
        };
        let path = DataPath::root("sessions")
            .index(1)
            .key("attendance")
            .key("XYZ");
        let err = file.error_at_path(&path, "unknown member code `XYZ`");
        assert_eq!((err.line, err.column), (Some(6), Some(33)));
        assert!(
            err.to_string()
                .starts_with("history.toml:6:33: sessions[1].attendance.XYZ")
        );
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let file = SourceFile {
            name: "charter.toml",
            text: "a = 1\nb = = 2\n",
        };
        let err = file.parse::<toml::Table>().unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.column.is_some());
    }
}
