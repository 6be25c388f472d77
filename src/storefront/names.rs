//! Display names of the vocabulary's keys (category slugs, canonical makes, models,
//! conditions and cities) in the page's language; a key the vocabulary does not know
//! is shown as it is.

use cargoparts_analyzers::Vocabulary;

use super::locale::Lang;

fn pick<'a>(lang: Lang, arabic: &'a str, english: &'a str) -> &'a str {
    match lang {
        Lang::Ar => arabic,
        Lang::En => english,
    }
}

pub fn category(slug: &str, lang: Lang) -> String {
    Vocabulary::builtin().category(slug).map_or_else(|| slug.to_string(), |c| pick(lang, &c.name_ar, &c.name_en).into())
}

pub fn make(name: &str, lang: Lang) -> String {
    Vocabulary::builtin().make(name).map_or_else(|| name.to_string(), |m| pick(lang, &m.name_ar, &m.name).into())
}

/// A model with its make: «تويوتا كامري», "Toyota Camry".
pub fn car(make_name: &str, model_name: Option<&str>, lang: Lang) -> String {
    let vocabulary = Vocabulary::builtin();
    let make = self::make(make_name, lang);
    let Some(model_name) = model_name else { return make };
    let model = vocabulary
        .make(make_name)
        .and_then(|m| m.model(model_name))
        .map_or_else(|| model_name.to_string(), |m| pick(lang, &m.name_ar, &m.name).to_string());
    format!("{make} {model}")
}

pub fn condition(slug: &str, lang: Lang) -> String {
    Vocabulary::builtin()
        .condition(slug)
        .map_or_else(|| slug.to_string(), |c| pick(lang, &c.name_ar, &c.name_en).into())
}

pub fn city(name: &str, lang: Lang) -> String {
    Vocabulary::builtin().city(name).map_or_else(|| name.to_string(), |c| pick(lang, &c.name_ar, &c.name).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_in_the_page_language() {
        assert_eq!(category("oil-filter", Lang::Ar), "فلتر زيت");
        assert_eq!(category("oil-filter", Lang::En), "Oil filter");
        assert_eq!(car("Toyota", Some("Camry"), Lang::Ar), "تويوتا كامري");
        assert_eq!(car("Toyota", Some("Camry"), Lang::En), "Toyota Camry");
        assert_eq!(city("Riyadh", Lang::Ar), "الرياض");
    }

    #[test]
    fn unknown_keys_show_as_written() {
        assert_eq!(category("flux-capacitor", Lang::Ar), "flux-capacitor");
        assert_eq!(make("Jetour", Lang::Ar), "Jetour");
    }
}
