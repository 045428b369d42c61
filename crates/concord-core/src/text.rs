//! Text a person reads, in both of Concord's languages.

use serde::{Deserialize, Serialize};

/// A text in English and Russian. Both are required: everything a person reads in Concord
/// exists in both languages.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// English.
    pub en: String,
    /// Russian.
    pub ru: String,
}

impl Text {
    /// Builds a text from its two languages.
    pub fn new(en: impl Into<String>, ru: impl Into<String>) -> Self {
        Text {
            en: en.into(),
            ru: ru.into(),
        }
    }

    /// The text in the language whose tag is given (`ru` or anything else for English).
    pub fn get(&self, lang: &str) -> &str {
        if lang.starts_with("ru") {
            &self.ru
        } else {
            &self.en
        }
    }

    /// Whether either language is blank.
    pub fn has_blank(&self) -> bool {
        self.en.trim().is_empty() || self.ru.trim().is_empty()
    }
}
