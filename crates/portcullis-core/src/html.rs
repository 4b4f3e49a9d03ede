//! HTML escaping as Flask-Security's pages and mails are escaped, and
//! the template names they may be read from.

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

/// Whether a template name (`security/login_user.html`,
/// `myapp/email/welcome.txt`, a flat `welcome.txt`) may be read from an
/// app's template folder: a relative path of plain components, no `..`,
/// no root, no backslash — a setting or a name a template asks for can
/// never reach a file outside the folder.
pub fn is_safe_template_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('\\')
        && std::path::Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_stay_inside_the_folder() {
        for ok in ["welcome.txt", "security/email/welcome.txt", "a/b.c/d.html"] {
            assert!(is_safe_template_name(ok), "{ok}");
        }
        for bad in ["", "../x", "a/../../x", "/etc/passwd", "a\\..\\b", "./x"] {
            assert!(!is_safe_template_name(bad), "{bad}");
        }
    }

    #[test]
    fn escapes_what_markupsafe_escapes_and_nothing_else() {
        assert_eq!(
            escape(r#"a/b <i> "q" 'x' & y é"#),
            "a/b &lt;i&gt; &#34;q&#34; &#39;x&#39; &amp; y é"
        );
        assert!(matches!(escape("plain/text"), Cow::Borrowed("plain/text")));
    }
}
