//! The Members tab: search (debounced), filters, sort, server-side pages.

use std::time::Duration;

use leptos::prelude::*;
use portal_contract::team::{
    DEFAULT_PAGE_SIZE, MemberListQuery, MemberOut, MemberSort, MemberStatus, PAGE_SIZES, SortOrder,
};
use portal_contract::{Permission, Role};

use super::member_modal::{MemberAction, MemberModal};
use crate::api;
use crate::components::load_error::LoadError;
use crate::components::menu::{ActionMenu, MenuItem};
use crate::components::progress::track_progress;
use crate::components::table::{DataTable, SkeletonTable};
use crate::format;
use crate::session::use_session;

/// Typing pauses this long before the list is asked again.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(300);

#[component]
pub fn MembersTab() -> impl IntoView {
    let session = use_session();
    let may_manage = move || session.can(Permission::ManageTeam);
    let me = session
        .0
        .with_untracked(|s| s.as_ref().map(|s| s.user.id.clone()));

    let query = RwSignal::new(MemberListQuery::default());
    let version = RwSignal::new(0u32);
    let search = RwSignal::new(String::new());
    let typed = StoredValue::new(0u64);
    let editing = RwSignal::new(None::<(MemberOut, MemberAction)>);

    let members = LocalResource::new(move || {
        let q = query.get();
        version.track();
        async move { api::members(&q).await }
    });

    let on_search = move |ev| {
        search.set(event_target_value(&ev));
        let n = typed.get_value() + 1;
        typed.set_value(n);
        set_timeout(
            move || {
                // Only the last keystroke of a burst asks the server.
                if typed.get_value() == n {
                    let text = search.get_untracked();
                    query.update(|q| {
                        q.query = Some(text).filter(|t| !t.trim().is_empty());
                        q.page = None;
                    });
                }
            },
            SEARCH_DEBOUNCE,
        );
    };
    // Paging and member changes re-render the table and the button that had
    // focus; focus then goes to the results, not to the page's start.
    let refocus = StoredValue::new(false);
    let go_to = move |page: u32| {
        refocus.set_value(true);
        query.update(|q| q.page = Some(page));
    };

    view! {
        <div class="toolbar" role="search">
            <div class="field field-grow">
                <label for="member-search">"Search"</label>
                <input
                    id="member-search"
                    type="search"
                    placeholder="Name or email"
                    prop:value=move || search.get()
                    on:input=on_search
                />
            </div>
            <div class="field">
                <label for="member-role">"Role"</label>
                <select id="member-role" on:change=refine(query, |q, v| q.role = v.parse().ok())>
                    <option value="">"All roles"</option>
                    {Role::ALL
                        .map(|r| view! { <option value=r.as_str()>{r.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="member-status">"Status"</label>
                <select
                    id="member-status"
                    on:change=refine(query, |q, v| q.status = v.parse().ok())
                >
                    <option value="">"All statuses"</option>
                    {MemberStatus::ALL
                        .map(|s| view! { <option value=s.as_str()>{s.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="member-sort">"Sort by"</label>
                <select
                    id="member-sort"
                    on:change=refine(
                        query,
                        |q, v| {
                            let (sort, order) = v.split_once(':').unwrap_or(("name", "asc"));
                            q.sort = MemberSort::ALL
                                .into_iter()
                                .find(|s| s.as_str() == sort)
                                .unwrap_or_default();
                            q.order = if order == "desc" {
                                SortOrder::Desc
                            } else {
                                SortOrder::Asc
                            };
                        },
                    )
                >
                    {[
                        ("name:asc", "Name, A to Z"),
                        ("name:desc", "Name, Z to A"),
                        ("email:asc", "Email"),
                        ("role:asc", "Role"),
                        ("last_sign_in:desc", "Last sign-in, newest"),
                        ("joined:desc", "Joined, newest"),
                        ("joined:asc", "Joined, oldest"),
                    ]
                        .map(|(v, l)| view! { <option value=v>{l}</option> })
                        .collect_view()}
                </select>
            </div>
        </div>
        <Transition
            fallback=|| view! { <SkeletonTable label="Loading members…" columns=5 /> }
            set_pending=track_progress()
        >
            {move || Suspend::new({
                let me = me.clone();
                async move {
                    match members.await {
                        Err(e) => {
                            view! {
                                <LoadError message=e.message() on_retry=move || members.refetch() />
                            }
                                .into_any()
                        }
                        Ok(page) if page.items.is_empty() && page.total > 0 => {
                            let last_page = page.pages();
                            // The page emptied (members left a filter): offer the last one.
                            view! {
                                <div class="empty">
                                    <p>"There are no more members on this page."</p>
                                    <button
                                        type="button"
                                        class="button"
                                        on:click=move |_| go_to(last_page)
                                    >
                                        "Go to the last page"
                                    </button>
                                </div>
                            }
                                .into_any()
                        }
                        Ok(page) if page.items.is_empty() => {
                            view! {
                                <div class="empty">
                                    <p>"No members match your search and filters."</p>
                                </div>
                            }
                                .into_any()
                        }
                        Ok(page) => {
                            if refocus.get_value() {
                                refocus.set_value(false);
                                request_animation_frame(focus_results);
                            }
                            let now = format::now();
                            let first = (page.page - 1) * page.per_page + 1;
                            let last = first + page.items.len() as u32 - 1;
                            let pages = page.pages();
                            let current = page.page;
                            let (at_first, at_last) = (current <= 1, current >= pages);
                            let rows = page
                                .items
                                .into_iter()
                                .map(|m| {
                                    view! {
                                        <MemberRow
                                            member=m.clone()
                                            now=now
                                            is_me=me.as_ref() == Some(&m.id)
                                            may_manage=session.may_manage(m.role)
                                            on_action=move |action| {
                                                editing.set(Some((m.clone(), action)))
                                            }
                                        />
                                    }
                                })
                                .collect_view();
                            view! {
                                <DataTable
                                    caption="Members"
                                    columns=&["Member", "Role", "Status", "Last sign-in", "Joined"]
                                    actions=may_manage()
                                    id="members-results"
                                >
                                    {rows}
                                </DataTable>
                                <div class="pagination">
                                    <p aria-live="polite">
                                        {format!("{first}–{last} of {}", page.total)}
                                    </p>
                                    <div class="pager">
                                        <button
                                            type="button"
                                            class="button button-small"
                                            disabled=at_first
                                            on:click=move |_| go_to(current - 1)
                                        >
                                            "Previous"
                                        </button>
                                        <span>{format!("Page {current} of {pages}")}</span>
                                        <button
                                            type="button"
                                            class="button button-small"
                                            disabled=at_last
                                            on:click=move |_| go_to(current + 1)
                                        >
                                            "Next"
                                        </button>
                                    </div>
                                </div>
                            }
                                .into_any()
                        }
                    }
                }
            })}
        </Transition>
        <div class="field per-page">
            <label for="member-per-page">"Per page"</label>
            <select
                id="member-per-page"
                on:change=refine(query, |q, v| q.per_page = v.parse().ok())
            >
                {PAGE_SIZES
                    .map(|n| {
                        view! {
                            <option value=n.to_string() selected=n == DEFAULT_PAGE_SIZE>
                                {n}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
        {move || {
            editing
                .get()
                .map(|(member, action)| {
                    view! {
                        <MemberModal
                            member=member
                            action=action
                            on_close=move || editing.set(None)
                            on_done=move || {
                                editing.set(None);
                                refocus.set_value(true);
                                version.update(|v| *v += 1);
                            }
                        />
                    }
                })
        }}
    }
}

#[component]
fn MemberRow(
    member: MemberOut,
    now: i64,
    is_me: bool,
    may_manage: bool,
    #[prop(into)] on_action: Callback<MemberAction>,
) -> impl IntoView {
    let active = member.status == MemberStatus::Active;
    let name = member.full_name.clone();
    let actions = may_manage.then(|| {
        let mut items = vec![MenuItem::new("Change role", move || {
            on_action.run(MemberAction::ChangeRole)
        })];
        if !is_me {
            items.push(if active {
                MenuItem::danger("Deactivate", move || {
                    on_action.run(MemberAction::Deactivate)
                })
            } else {
                MenuItem::new("Reactivate", move || {
                    on_action.run(MemberAction::Reactivate)
                })
            });
        }
        view! {
            <td class="actions">
                <ActionMenu label=format!("Actions for {name}") items=items />
            </td>
        }
    });
    view! {
        <tr>
            <th scope="row">
                <div class="cell-wide">
                    <span class="truncate">
                        {member.full_name.clone()}
                        {is_me.then(|| view! { <span class="muted">" (you)"</span> })}
                    </span>
                    <span class="sub truncate" title=member.email.clone()>
                        {member.email.clone()}
                    </span>
                </div>
            </th>
            <td data-label="Role">{member.role.label()}</td>
            <td data-label="Status">
                <span class=format!(
                    "badge badge-dot badge-{}",
                    member.status.as_str(),
                )>{member.status.label()}</span>
            </td>
            <td data-label="Last sign-in">
                {member
                    .last_sign_in_at
                    .map(|t| format::relative(now, t))
                    .unwrap_or_else(|| "Never".into())}
            </td>
            <td data-label="Joined">{format::date(member.created_at)}</td>
            {actions}
        </tr>
    }
}

/// A `change` handler that applies the control's value to the query and goes
/// back to the first page.
fn refine(
    query: RwSignal<MemberListQuery>,
    apply: impl Fn(&mut MemberListQuery, String) + 'static,
) -> impl Fn(leptos::ev::Event) + 'static {
    move |ev| {
        let value = event_target_value(&ev);
        query.update(|q| {
            apply(q, value);
            q.page = None;
        });
    }
}

fn focus_results() {
    use leptos::wasm_bindgen::JsCast;
    if let Some(el) = document()
        .get_element_by_id("members-results")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}
