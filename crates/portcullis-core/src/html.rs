//! HTML escaping as Flask-Security's pages and mails are escaped.

use std::borrow::Cow;

/// Escapes `s` for HTML text or a quoted attribute as Jinja2's autoescape
/// (markupsafe) does: `&`, `<`, `>`, `"` and `'` become `&amp;`, `&lt;`,
/// `&gt;`, `&#34;` and `&#39;`, and nothing else changes — so a page shows
/// a text with a slash ("password/passcode", a link) as Flask-Security's
/// does, where a Flask-Security app's tests, scripts and selectors look
/// for it. (minijinja's own escaping also writes `/` as `&#x2f;`.)
pub fn escape(s: &str) -> Cow<'_, str> {
    let Some(first) = s
        .bytes()
        .position(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
    else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_markupsafe_escapes_and_nothing_else() {
        assert_eq!(
            escape(r#"a/b <i> "q" 'x' & y é"#),
            "a/b &lt;i&gt; &#34;q&#34; &#39;x&#39; &amp; y é"
        );
        assert!(matches!(escape("plain/text"), Cow::Borrowed("plain/text")));
    }
}
