//! Translations, as Flask-Security (through Flask-Babel) translates.
//!
//! Flask-Security passes every message, form label, page text and mail
//! subject through gettext in the domain `SECURITY_I18N_DOMAIN`
//! (`flask_security`), keyed by its English text. Portcullis does the same
//! with the catalogues an app already has: `.mo` files under
//! `<dir>/<locale>/LC_MESSAGES/<domain>.mo` for each directory in
//! `SECURITY_I18N_DIRNAME` — the app's own, or the `translations`
//! directory of an installed Flask-Security. It ships none it did not
//! write, so the default (`"builtin"`, Flask-Security's own files) means
//! English until a directory is named.
//!
//! The locale is the request's: the HTTP layer picks it (from
//! `Accept-Language` by default, as `request.accept_languages.best_match`
//! does) and runs the request inside [`Locale::scope`] (a future that puts
//! the locale in a thread-local around each poll); every text
//! rendered during it — [`Messages::render`](crate::Messages::render),
//! pages, mail subjects — is then translated by [`gettext()`], and the
//! `within` durations are written in its language ([`format_duration`]).
//! With catalogues loaded, a request that asks for none of them is in
//! [`DEFAULT_LOCALE`], as Flask-Babel's `BABEL_DEFAULT_LOCALE`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use gettext::Catalog;

mod duration;

pub use duration::format_duration;

/// The locale of a request that asks for none the catalogues have
/// (Flask-Babel's default `BABEL_DEFAULT_LOCALE`).
pub const DEFAULT_LOCALE: &str = "en";

thread_local! {
    /// The locale of the future (or closure) running on this thread, set
    /// by [`Locale::scope`] around each poll — a task-local without a
    /// runtime, so the core stays runtime-free.
    static CURRENT: RefCell<Option<Locale>> = const { RefCell::new(None) };
}

/// Puts `locale` in place for its lifetime, the previous one back on drop
/// (also when the code inside panics).
struct InPlace(Option<Locale>);

impl InPlace {
    fn enter(locale: Option<Locale>) -> Self {
        Self(CURRENT.with(|c| c.replace(locale)))
    }
}

impl Drop for InPlace {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// A future polled with its locale in place (see [`Locale::scope`]).
struct Scoped<F> {
    locale: Option<Locale>,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // `Scoped` is `Unpin` (the inner future is boxed).
        let this = self.get_mut();
        let _in_place = InPlace::enter(this.locale.clone());
        this.inner.as_mut().poll(cx)
    }
}

/// One locale's catalogues, in lookup order (a later directory of
/// `SECURITY_I18N_DIRNAME` overrides an earlier one, as Flask-Babel merges
/// them; `de` backs up `de_DE`).
#[derive(Clone)]
pub struct Locale {
    name: Arc<str>,
    catalogs: Arc<[Arc<Catalog>]>,
}

impl std::fmt::Debug for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locale")
            .field("name", &self.name)
            .field("catalogs", &self.catalogs.len())
            .finish()
    }
}

impl Locale {
    /// A locale without catalogues: its texts stay as written, its
    /// durations are in its language (Flask-Babel with a locale no
    /// catalogue has).
    pub fn bare(name: &str) -> Self {
        Self {
            name: name.into(),
            catalogs: Arc::new([]),
        }
    }

    /// The locale's name as its directory spells it (`de_DE`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `msgid` translated, or `None` when no catalogue has it. The empty
    /// text is never looked up (gettext keeps the catalogue's header
    /// under it).
    pub fn lookup<'a>(&'a self, msgid: &'a str) -> Option<&'a str> {
        if msgid.is_empty() {
            return None;
        }
        self.catalogs.iter().find_map(|c| {
            let t = c.gettext(msgid);
            (!std::ptr::eq(t, msgid)).then_some(t)
        })
    }

    /// Runs `f` with this locale as the current one: every text rendered
    /// while it runs (on whatever thread polls it) is translated into it.
    pub async fn scope<F: Future>(self, f: F) -> F::Output {
        Scoped {
            locale: Some(self),
            inner: Box::pin(f),
        }
        .await
    }

    /// As [`scope`](Self::scope), for synchronous work.
    pub fn sync_scope<R>(self, f: impl FnOnce() -> R) -> R {
        let _in_place = InPlace::enter(Some(self));
        f()
    }

    /// The locale of the request in progress, if one was chosen.
    pub fn current() -> Option<Locale> {
        CURRENT.with(|c| c.borrow().clone())
    }
}

/// Runs `f` in `locale` when there is one, as it is otherwise.
pub async fn scoped<F: Future>(locale: Option<Locale>, f: F) -> F::Output {
    match locale {
        Some(l) => l.scope(f).await,
        None => f.await,
    }
}

/// `msgid` in the current locale (Flask-Babel's `gettext` in the
/// `flask_security` domain), or `msgid` itself: outside a request, with no
/// locale chosen, or when no catalogue translates it.
pub fn gettext(msgid: &str) -> Cow<'_, str> {
    CURRENT
        .with(|c| {
            c.borrow()
                .as_ref()
                .and_then(|l| l.lookup(msgid).map(str::to_owned))
        })
        .map_or(Cow::Borrowed(msgid), Cow::Owned)
}

/// The catalogues of every locale found in the translation directories.
#[derive(Clone, Default)]
pub struct Translations {
    locales: Arc<BTreeMap<String, Locale>>,
    /// [`DEFAULT_LOCALE`]'s, found once at load: every request that asks
    /// for no loaded language is in it.
    default: Option<Locale>,
}

impl std::fmt::Debug for Translations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.locales.keys()).finish()
    }
}

impl PartialEq for Translations {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.locales, &other.locales)
    }
}

impl Translations {
    /// Reads `<dir>/<locale>/LC_MESSAGES/<domain>.mo` in each of `dirs`
    /// (`"builtin"`, Flask-Security's own directory, names nothing here).
    /// A directory that does not exist, or a catalogue that does not
    /// parse, is an error: a misspelt path should not quietly mean English.
    pub fn load<P: AsRef<Path>>(dirs: &[P], domain: &str) -> Result<Self, String> {
        // Per locale, the catalogues of each directory, the later first.
        let mut found: BTreeMap<String, Vec<Arc<Catalog>>> = BTreeMap::new();
        for dir in dirs {
            let dir = dir.as_ref();
            if dir.as_os_str() == "builtin" {
                continue;
            }
            let entries = std::fs::read_dir(dir).map_err(|e| {
                format!("SECURITY_I18N_DIRNAME: cannot read {}: {e}", dir.display())
            })?;
            for entry in entries.flatten() {
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                let mo = entry
                    .path()
                    .join("LC_MESSAGES")
                    .join(format!("{domain}.mo"));
                if !mo.is_file() {
                    continue;
                }
                let file = std::fs::File::open(&mo)
                    .map_err(|e| format!("cannot read {}: {e}", mo.display()))?;
                let catalog = Catalog::parse(std::io::BufReader::new(file))
                    .map_err(|e| format!("{} is not a gettext catalogue: {e}", mo.display()))?;
                found.entry(name).or_default().insert(0, Arc::new(catalog));
            }
        }
        let locales = found
            .iter()
            .map(|(name, own)| {
                let mut catalogs = own.clone();
                if let Some((primary, _)) = name.split_once('_')
                    && let Some(more) = found.get(primary)
                {
                    catalogs.extend(more.iter().cloned());
                }
                let locale = Locale {
                    name: name.as_str().into(),
                    catalogs: catalogs.into(),
                };
                (name.clone(), locale)
            })
            .collect();
        let mut t = Self {
            locales: Arc::new(locales),
            default: None,
        };
        t.default = Some(
            t.locale(DEFAULT_LOCALE)
                .unwrap_or_else(|| Locale::bare(DEFAULT_LOCALE)),
        );
        Ok(t)
    }

    /// Whether no catalogue was found.
    pub fn is_empty(&self) -> bool {
        self.locales.is_empty()
    }

    /// The locales found, by name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.locales.keys().map(String::as_str)
    }

    /// A locale by name (`de_DE`, or `de-de`: compared as language tags).
    pub fn locale(&self, name: &str) -> Option<Locale> {
        self.locales
            .values()
            .find(|l| normalize(&l.name) == normalize(name))
            .cloned()
    }

    /// The locale of a request that asks for none of the catalogues:
    /// [`DEFAULT_LOCALE`]'s, with its catalogues when there are any.
    pub fn default_locale(&self) -> Locale {
        self.default
            .clone()
            .unwrap_or_else(|| Locale::bare(DEFAULT_LOCALE))
    }

    /// The locale an `Accept-Language` header asks for, chosen among the
    /// catalogues as Werkzeug's `request.accept_languages.best_match` (the
    /// usual Flask-Babel locale selector) chooses: the best-quality exact
    /// match, else the client's primary tags against the catalogues'
    /// names, else the catalogues' primary tags against the client's
    /// tags (`de` finds `de_DE`; `de-CH` does not, as in Werkzeug; checked
    /// against Werkzeug 3 case by case in the tests).
    pub fn negotiate(&self, accept_language: &str) -> Option<Locale> {
        let names: Vec<&str> = self.names().collect();
        best_language_match(&names, accept_language).and_then(|n| self.locale(n))
    }
}

/// A language tag lower-cased and split on `-` and `_`.
fn normalize(tag: &str) -> Vec<String> {
    tag.to_ascii_lowercase()
        .split(['-', '_'])
        .map(str::to_owned)
        .collect()
}

fn primary(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

/// `Accept-Language` values with their quality, most specific and best
/// first (Werkzeug's order); unparsable qualities drop the value.
fn accepted(header: &str) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = header
        .split(',')
        .filter_map(|part| {
            let mut bits = part.split(';');
            let value = bits.next()?.trim();
            if value.is_empty() {
                return None;
            }
            let mut q = 1.0f32;
            for b in bits {
                if let Some(v) = b.trim().strip_prefix("q=") {
                    q = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|q: &f32| (0.0..=1.0).contains(q))?;
                }
            }
            Some((value.to_owned(), q))
        })
        .collect();
    out.sort_by(|a, b| {
        ((b.0 != "*"), b.1)
            .partial_cmp(&((a.0 != "*"), a.1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out
}

/// Werkzeug's `Accept.best_match` with `LanguageAccept`'s matching.
fn best_of<'m>(matches: &[&'m str], client: &[(String, f32)]) -> Option<&'m str> {
    let (mut best_q, mut best_specific, mut result) = (-1.0f32, false, None);
    for server in matches {
        for (value, q) in client {
            let specific = value != "*";
            if *q <= 0.0 || *q < best_q {
                continue;
            }
            let better = *q > best_q || (specific && !best_specific);
            if better && (value == "*" || normalize(server) == normalize(value)) {
                (best_q, best_specific, result) = (*q, specific, Some(*server));
            }
        }
    }
    result
}

/// Werkzeug's `LanguageAccept.best_match`.
fn best_language_match<'m>(matches: &[&'m str], header: &str) -> Option<&'m str> {
    let client = accepted(header);
    if let Some(m) = best_of(matches, &client) {
        return Some(m);
    }
    let client_primary: Vec<(String, f32)> = client
        .iter()
        .map(|(v, q)| (primary(v).to_owned(), *q))
        .collect();
    if let Some(m) = best_of(matches, &client_primary) {
        return Some(m);
    }
    let server_primary: Vec<&str> = matches.iter().map(|m| primary(m)).collect();
    let hit = best_of(&server_primary, &client)?;
    matches.iter().copied().find(|m| m.starts_with(hit))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AVAILABLE: &[&str] = &["de_DE", "fr_FR", "ja_JP", "pt_BR", "pt_PT", "zh_Hans_CN"];

    #[test]
    fn accept_language_is_matched_as_werkzeug_matches_it() {
        let cases = [
            ("de-DE,de;q=0.9,en;q=0.8", Some("de_DE")),
            ("ja", Some("ja_JP")),
            ("ja-JP", Some("ja_JP")),
            // Werkzeug matches a primary tag to a primary tag only.
            ("de-CH", None),
            ("en-US,en;q=0.9", None),
            ("fr;q=0.5, ja;q=0.8", Some("ja_JP")),
            ("pt-br", Some("pt_BR")),
            ("pt", Some("pt_BR")),
            ("zh-Hans-CN", Some("zh_Hans_CN")),
            ("*", Some("de_DE")),
            ("en, *;q=0.1", Some("de_DE")),
            ("de;q=0", None),
            ("de;q=abc", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(best_language_match(AVAILABLE, header), want, "{header:?}");
        }
    }

    #[test]
    fn scopes_nest_and_put_the_outer_locale_back() {
        let t = |name: &str| Locale {
            name: name.into(),
            catalogs: Arc::from(Vec::new()),
        };
        t("de_DE").sync_scope(|| {
            assert_eq!(Locale::current().unwrap().name(), "de_DE");
            t("ja_JP").sync_scope(|| assert_eq!(Locale::current().unwrap().name(), "ja_JP"));
            assert_eq!(Locale::current().unwrap().name(), "de_DE");
            let caught = std::panic::catch_unwind(|| t("fr_FR").sync_scope(|| panic!("inside")));
            assert!(caught.is_err());
            assert_eq!(
                Locale::current().unwrap().name(),
                "de_DE",
                "restored after a panic"
            );
        });
        assert!(Locale::current().is_none());
    }

    #[test]
    fn a_scoped_future_has_its_locale_at_every_poll_and_leaves_none_behind() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::task::{Wake, Waker};
        struct Noop;
        impl Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let polls = Arc::new(AtomicUsize::new(0));
        let seen = polls.clone();
        // Pending once, then ready: the locale is there both times, and
        // not between polls.
        let fut = std::future::poll_fn(move |cx| {
            assert_eq!(
                Locale::current().map(|l| l.name().to_owned()).as_deref(),
                Some("de_DE")
            );
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(7)
            }
        });
        let locale = Locale {
            name: "de_DE".into(),
            catalogs: Arc::from(Vec::new()),
        };
        let mut scoped = Box::pin(locale.scope(fut));
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        assert!(scoped.as_mut().poll(&mut cx).is_pending());
        assert!(Locale::current().is_none(), "nothing left between polls");
        assert_eq!(scoped.as_mut().poll(&mut cx), Poll::Ready(7));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn without_a_locale_texts_are_as_written() {
        assert_eq!(gettext("Invalid password"), "Invalid password");
        assert!(Locale::current().is_none());
    }

    #[test]
    fn a_missing_directory_is_an_error_and_builtin_names_nothing() {
        let err = Translations::load(&["/no/such/dir"], "flask_security").unwrap_err();
        assert!(err.contains("/no/such/dir"), "{err}");
        let none = Translations::load(&["builtin"], "flask_security").unwrap();
        assert!(none.is_empty());
        assert!(none.negotiate("de").is_none());
    }
}
