//! Sex values as recorded (F, Female, Woman, Prefer not to say…) placed in
//! the categories NYC Local Law 144's tables use: Female, Male, Other, or
//! unknown. Used by panels (women on a panel), slates (women on a list),
//! the LL144 scoring table and the intersectional rates.

/// Sex values as LL144 categories: Female, Male, Other; `None` when unknown.
pub fn sex_category(raw: Option<&str>) -> Option<&'static str> {
    let v = raw?.trim().to_lowercase();
    match v.as_str() {
        "f" | "female" | "woman" | "women" | "girl" => Some("Female"),
        "m" | "male" | "man" | "men" | "boy" => Some("Male"),
        "" | "u" | "unknown" | "not known" | "not stated" | "prefer not to say" | "declined"
        | "n/a" | "na" | "none" => None,
        _ => Some("Other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sex_categories() {
        assert_eq!(sex_category(Some(" F ")), Some("Female"));
        assert_eq!(sex_category(Some("Male")), Some("Male"));
        assert_eq!(sex_category(Some("Non-binary")), Some("Other"));
        assert_eq!(sex_category(Some("Prefer not to say")), None);
        assert_eq!(sex_category(None), None);
    }
}
