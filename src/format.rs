//! Dates and times as people read them.

/// `then` relative to `now` (both Unix seconds): "just now", "5 minutes ago",
/// "in 3 days".
pub fn relative(now: i64, then: i64) -> String {
    let delta = then - now;
    let secs = delta.unsigned_abs();
    // Nearest whole unit: a 7-day link a few seconds old still reads "in 7 days".
    let round = |unit: u64| ((secs + unit / 2) / unit).max(1);
    let (n, unit) = match secs {
        0..45 if delta > 0 => return "in a few seconds".into(),
        0..45 => return "just now".into(),
        45..3570 => (round(60), "minute"),
        3570..84_600 => (round(3600), "hour"),
        84_600..2_548_800 => (round(86_400), "day"),
        2_548_800..31_536_000 => (round(2_592_000), "month"),
        _ => (round(31_536_000), "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if delta < 0 {
        format!("{n} {unit}{plural} ago")
    } else {
        format!("in {n} {unit}{plural}")
    }
}

/// The current time in Unix seconds (browser clock).
#[cfg(target_arch = "wasm32")]
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The current time in Unix seconds.
#[cfg(not(target_arch = "wasm32"))]
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A calendar date in the browser's language, e.g. "23 Nov 2026".
#[cfg(target_arch = "wasm32")]
pub fn date(secs: i64) -> String {
    let options = js_sys::Object::new();
    for (k, v) in [("day", "numeric"), ("month", "short"), ("year", "numeric")] {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    }
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(secs as f64 * 1000.0))
        .to_locale_date_string(&language(), &options)
        .into()
}

/// A date and time in the browser's language, e.g. "23 Nov 2026, 14:05".
#[cfg(target_arch = "wasm32")]
pub fn date_time(secs: i64) -> String {
    let options = js_sys::Object::new();
    for (k, v) in [("dateStyle", "medium"), ("timeStyle", "short")] {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    }
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(secs as f64 * 1000.0))
        .to_locale_string(&language(), &options)
        .into()
}

#[cfg(target_arch = "wasm32")]
fn language() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".into())
}

/// A calendar date (UTC, ISO) where there is no browser.
#[cfg(not(target_arch = "wasm32"))]
pub fn date(secs: i64) -> String {
    format!("@{secs}")
}

/// A date and time where there is no browser.
#[cfg(not(target_arch = "wasm32"))]
pub fn date_time(secs: i64) -> String {
    format!("@{secs}")
}

/// `n` and the noun that goes with it: "1 delivery", "3 deliveries".
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A whole percentage as the browser's language writes it ("100%" in
/// English, "100 %" in French and German).
#[cfg(target_arch = "wasm32")]
pub fn percent(whole: u32) -> String {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"style".into(), &"percent".into());
    let languages = js_sys::Array::of1(&language().into());
    js_sys::Intl::NumberFormat::new(&languages, &options)
        .format()
        .call1(
            &wasm_bindgen::JsValue::NULL,
            &(f64::from(whole) / 100.0).into(),
        )
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| format!("{whole}%"))
}

/// A whole percentage where there is no browser.
#[cfg(not(target_arch = "wasm32"))]
pub fn percent(whole: u32) -> String {
    format!("{whole}%")
}

#[cfg(test)]
mod tests {
    use super::{count, relative};

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(0u32, "delivery", "deliveries"), "0 deliveries");
        assert_eq!(count(1u32, "delivery", "deliveries"), "1 delivery");
        assert_eq!(count(2u32, "attempt", "attempts"), "2 attempts");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_800_000_000;
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now, now - 30), "just now");
        assert_eq!(relative(now, now + 5), "in a few seconds");
        assert_eq!(relative(now, now - 60), "1 minute ago");
        assert_eq!(relative(now, now - 5 * 60), "5 minutes ago");
        assert_eq!(relative(now, now - 3 * 3600), "3 hours ago");
        assert_eq!(relative(now, now + 6 * 86_400 + 100), "in 6 days");
        assert_eq!(relative(now, now + 86_400), "in 1 day");
        assert_eq!(relative(now, now - 400 * 86_400), "1 year ago");
        assert_eq!(relative(now, now + 7 * 86_400 - 5), "in 7 days");
        assert_eq!(relative(now, now - 59 * 60 - 50), "1 hour ago");
        assert_eq!(relative(now, now - 23 * 3600 - 59 * 60), "1 day ago");
    }
}
