//! The console's words in Russian and English: Fluent message files compiled into the
//! binary, one bundle a language.

use std::sync::OnceLock;

use concord_core::accounts::Language;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

const RU: &str = include_str!("../i18n/ru.ftl");
const EN: &str = include_str!("../i18n/en.ftl");

/// The messages of one language.
pub struct Messages {
    bundle: FluentBundle<FluentResource>,
    language: Language,
}

fn bundle(language: Language, text: &str) -> Messages {
    let tag: unic_langid::LanguageIdentifier =
        language.tag().parse().expect("ru and en are language tags");
    let mut bundle = FluentBundle::new_concurrent(vec![tag]);
    // No Unicode isolation marks: the text goes into HTML, where they would show.
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(text.to_owned()).expect("the message files parse");
    bundle
        .add_resource(resource)
        .expect("no message is defined twice");
    Messages { bundle, language }
}

/// The messages of `language`.
pub fn messages(language: Language) -> &'static Messages {
    static ALL: OnceLock<[Messages; 2]> = OnceLock::new();
    let [ru, en] = ALL.get_or_init(|| [bundle(Language::Ru, RU), bundle(Language::En, EN)]);
    match language {
        Language::Ru => ru,
        Language::En => en,
    }
}

impl Messages {
    /// The language.
    pub fn language(&self) -> Language {
        self.language
    }

    /// A message without arguments; its id if there is none (a test makes sure there
    /// always is).
    pub fn get(&self, id: &str) -> String {
        self.with(id, &[])
    }

    /// A member status in words (`participation frozen`).
    pub fn status(&self, status: concord_core::registry::MemberStatus) -> String {
        self.get(&format!("status-{}", status.as_str()))
    }

    /// A message with arguments.
    pub fn with(&self, id: &str, args: &[(&str, &str)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(id, "no such console message");
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        let mut errors = vec![];
        self.bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }
}

/// The ids of a message file, for checking both languages say the same things.
pub fn ids(language: Language) -> Vec<String> {
    let text = match language {
        Language::Ru => RU,
        Language::En => EN,
    };
    let mut ids: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
        .filter_map(|l| l.split_once(" = ").map(|(id, _)| id.trim().to_owned()))
        .collect();
    ids.sort();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_message() {
        let (ru, en) = (ids(Language::Ru), ids(Language::En));
        assert!(ru.len() > 20);
        assert_eq!(ru, en);
        for id in &ru {
            for language in [Language::Ru, Language::En] {
                let text = messages(language).get(id);
                assert_ne!(&text, id, "{id} in {language:?}");
            }
        }
    }

    #[test]
    fn arguments_are_placed_without_marks() {
        let text = messages(Language::En).with("dashboard-chair", &[("year", "2026")]);
        assert_eq!(text, "Chairmanship 2026");
        let text = messages(Language::Ru).with("login-throttled", &[("minutes", "15")]);
        assert!(text.ends_with("через 15 мин."), "{text}");
    }
}
