//! Name rules shared by every declared object, the Kubernetes ones since names end up there.

/// An RFC 1123 label: at most 63 lowercase alphanumerics or '-', starting and ending alphanumeric
/// (project names, which become namespaces).
pub fn check_dns_label(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 63 {
        return Err(format!("{name:?} must be 1 to 63 characters"));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !name.chars().all(ok_char) || !ends_ok(name.chars().next()) || !ends_ok(name.chars().last()) {
        return Err(format!(
            "{name:?} must be lowercase letters, digits and '-', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// An RFC 1123 subdomain: dot-separated labels, at most 253 characters (node and size names).
pub fn check_dns_subdomain(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err(format!("{name:?} must be 1 to 253 characters"));
    }
    name.split('.').try_for_each(check_dns_label).map_err(|_| {
        format!("{name:?} must be lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(check_dns_label("team-a").is_ok());
        assert!(check_dns_label("Team").is_err());
        assert!(check_dns_label("-a").is_err());
        assert!(check_dns_label(&"a".repeat(64)).is_err());
        assert!(check_dns_subdomain("gpu.nvidia.com").is_ok());
        assert!(check_dns_subdomain("a..b").is_err());
    }
}
