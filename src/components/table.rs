//! A data table: scrolls sideways inside its card on a narrow screen, named
//! for screen readers, with its column headers.

use leptos::prelude::*;

#[component]
pub fn DataTable(
    /// Names the table (and the region, with `id`) for screen readers.
    caption: &'static str,
    /// The column headers, in order.
    columns: &'static [&'static str],
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
                        {columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                        {actions
                            .then(|| {
                                view! {
                                    <th scope="col">
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
