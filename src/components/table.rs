//! A data table: dense rows, named for screen readers, with its column
//! headers; it scrolls sideways inside its card (with edge shadows that say
//! so) when it must, and becomes a card per row on a phone (each cell shows
//! its column's name from `data-label`, the "⋯" menu in the card's corner).
//! Its skeleton is the same table with grey bars, shown while it loads; a
//! few lines of text have theirs too.

use leptos::prelude::*;

#[component]
pub fn DataTable(
    /// Names the table (and the region, with `id`) for screen readers.
    caption: &'static str,
    /// The column headers, in order.
    columns: &'static [&'static str],
    /// Columns of numbers, aligned right.
    #[prop(optional)]
    numeric: &'static [&'static str],
    /// A last column of row actions, its header read as "Actions".
    #[prop(optional)]
    actions: bool,
    /// Makes the table a region focus can be moved to, e.g. after paging.
    #[prop(optional)]
    id: Option<&'static str>,
    /// The rows.
    children: Children,
) -> impl IntoView {
    view! {
        <div
            class="table-wrap"
            id=id
            tabindex=id.map(|_| "-1")
            role=id.map(|_| "region")
            aria-label=id.map(|_| caption)
        >
            <table>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        {columns
                            .iter()
                            .map(|c| {
                                view! {
                                    <th scope="col" class:numeric=numeric.contains(c)>
                                        {*c}
                                    </th>
                                }
                            })
                            .collect_view()}
                        {actions
                            .then(|| {
                                view! {
                                    <th scope="col" class="actions">
                                        <span class="visually-hidden">"Actions"</span>
                                    </th>
                                }
                            })}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// Grey bars in the shape of a table of `columns`, while its rows load;
/// screen readers hear `label` ("Loading credentials…").
#[component]
pub fn SkeletonTable(
    /// What is loading, said to screen readers.
    label: &'static str,
    /// How many columns the table will have.
    #[prop(default = 4)]
    columns: usize,
) -> impl IntoView {
    let row = move || {
        view! {
            <tr>
                {(0..columns)
                    .map(|_| {
                        view! {
                            <td>
                                <span class="skeleton-bar"></span>
                            </td>
                        }
                    })
                    .collect_view()}
            </tr>
        }
    };
    view! {
        <div class="table-wrap skeleton" aria-busy="true">
            <p class="loading visually-hidden">{label}</p>
            <table aria-hidden="true">
                <tbody>{row()} {row()} {row()}</tbody>
            </table>
        </div>
    }
}

/// Grey lines in place of a few lines of text while they load; screen
/// readers hear `label`.
#[component]
pub fn SkeletonLines(
    /// What is loading, said to screen readers.
    label: &'static str,
    /// How many lines.
    #[prop(default = 2)]
    lines: usize,
) -> impl IntoView {
    view! {
        <div class="skeleton-lines" aria-busy="true">
            <p class="loading visually-hidden">{label}</p>
            {(0..lines)
                .map(|_| view! { <span class="skeleton-bar" aria-hidden="true"></span> })
                .collect_view()}
        </div>
    }
}
