//! Long values on one line, never broken inside a word: identifiers keep
//! their end (what tells two apart) and lose their middle; the whole value
//! shows over the cell on hover and keyboard focus, and is what a screen
//! reader reads and what the copy button copies.

use leptos::prelude::*;

/// How many characters of an identifier's end always show.
const TAIL: usize = 6;

/// `value` split where its middle may be elided: `(start, end)`.
pub fn split_for_middle(value: &str) -> (&str, &str) {
    let chars = value.chars().count();
    if chars <= TAIL * 2 {
        return (value, "");
    }
    let at = value
        .char_indices()
        .nth(chars - TAIL)
        .map_or(value.len(), |(i, _)| i);
    value.split_at(at)
}

/// An identifier or address, truncated in the middle when its column is narrow.
#[component]
pub fn MidTruncate(
    /// The whole value.
    #[prop(into)]
    value: String,
) -> impl IntoView {
    let (start, end) = split_for_middle(&value);
    let (start, end) = (start.to_owned(), end.to_owned());
    view! {
        <span class="mid" tabindex="0" data-full=value>
            <span class="mid-start">{start}</span>
            <span class="mid-end">{end}</span>
        </span>
    }
}

/// Text that ends in an ellipsis when its column is narrow; the title has
/// the rest.
#[component]
pub fn Truncate(
    /// The whole text.
    #[prop(into)]
    text: String,
) -> impl IntoView {
    let title = text.clone();
    view! {
        <span class="truncate" title=title>
            {text}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::split_for_middle;

    #[test]
    fn identifiers_keep_their_end() {
        assert_eq!(
            split_for_middle("cred_hexzrizdqvekowjcs4d5"),
            ("cred_hexzrizdqvekow", "jcs4d5")
        );
        assert_eq!(split_for_middle("prj_short"), ("prj_short", ""));
        // Never inside a character.
        assert_eq!(split_for_middle("ééééééééééééé"), ("ééééééé", "éééééé"));
    }
}
