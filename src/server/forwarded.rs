//! The client's address behind a reverse proxy: `Forwarded` (RFC 7239) or
//! `X-Forwarded-For`, believed only when the connection comes from an
//! address given with `--trusted-proxy`. Anyone else could write these
//! headers to pick the address the write limits (`rate_limit.rs`) charge.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The address to treat as the client's: the peer's own, unless the peer
/// is a trusted proxy that names a client, walking the proxies' chain from
/// the nearest (rightmost) entry and skipping trusted proxies, so that an
/// address the client wrote itself at the left is never taken while a
/// proxy of ours appended the real one.
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> SocketAddr {
    let is_trusted = |ip: &IpAddr| trusted.contains(&canonical(*ip));
    if !is_trusted(&peer.ip()) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    match chain.iter().rev().find(|ip| !is_trusted(ip)) {
        Some(ip) => SocketAddr::new(*ip, 0),
        None => peer,
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The addresses the proxies recorded, client first: every `for=` of the
/// `Forwarded` headers if there is one, else every `X-Forwarded-For`
/// entry. An entry that is not an address (`unknown`, an obfuscated name)
/// ends the chain there, since nothing left of it can be placed.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|item| item.trim().to_owned())
            .collect()
    };
    let forwarded = values("forwarded");
    let items: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        values("x-forwarded-for")
            .iter()
            .map(|item| parse_node(item))
            .collect()
    } else {
        forwarded
            .iter()
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_node(value.trim().trim_matches('"')))
                        .flatten()
                })
            })
            .collect()
    };
    // Keep only the part right of the last entry that is not an address.
    let start = items
        .iter()
        .rposition(Option::is_none)
        .map_or(0, |at| at + 1);
    items[start..]
        .iter()
        .flatten()
        .copied()
        .map(canonical)
        .collect()
}

/// An address, with or without a port (`192.0.2.1`, `192.0.2.1:80`,
/// `[2001:db8::1]`, `[2001:db8::1]:80`, `2001:db8::1`).
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("a value"));
        }
        map
    }

    fn peer(text: &str) -> SocketAddr {
        SocketAddr::new(text.parse().expect("an address"), 40000)
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_address(peer("198.51.100.1"), &h, &[]),
            peer("198.51.100.1")
        );
        let trusted = ["192.0.2.1".parse().expect("ip")];
        assert_eq!(
            client_address(peer("198.51.100.1"), &h, &trusted),
            peer("198.51.100.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_spoofing_is_skipped() {
        let trusted: Vec<IpAddr> = ["192.0.2.1", "192.0.2.2"]
            .iter()
            .map(|t| t.parse().expect("ip"))
            .collect();
        // The client wrote 10.0.0.1 itself; our proxy appended its real
        // address, 203.0.113.9; a second proxy of ours appended the first.
        let h = headers(&[("x-forwarded-for", "10.0.0.1, 203.0.113.9, 192.0.2.2")]);
        let got = client_address(peer("192.0.2.1"), &h, &trusted);
        assert_eq!(got.ip(), "203.0.113.9".parse::<IpAddr>().expect("ip"));
        let h = headers(&[(
            "forwarded",
            "for=10.0.0.1, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        let got = client_address(peer("::ffff:192.0.2.1"), &h, &trusted);
        assert_eq!(got.ip(), "2001:db8::7".parse::<IpAddr>().expect("ip"));
        // Only trusted proxies, or nothing usable: the peer itself.
        let h = headers(&[("x-forwarded-for", "192.0.2.2")]);
        assert_eq!(
            client_address(peer("192.0.2.1"), &h, &trusted),
            peer("192.0.2.1")
        );
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown")]);
        assert_eq!(
            client_address(peer("192.0.2.1"), &h, &trusted),
            peer("192.0.2.1")
        );
        assert_eq!(
            client_address(peer("192.0.2.1"), &HeaderMap::new(), &trusted),
            peer("192.0.2.1")
        );
    }
}
