//! The web client's files (`web/`), embedded in the binary so there is nothing to install
//! beside it: which path serves which file with which `Content-Type`, an ETag made from
//! each file's bytes at compile time (a browser revalidates for a `304` rather than
//! fetching again), and a gzip copy made once, at a file's first request that accepts it.

use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use hyper::{Response, StatusCode};

/// One embedded file and the path it is served at.
pub struct Asset {
    pub path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    /// The identity body's tag; the gzip body's is this with `-gz` inside the quotes,
    /// since two encodings of a file are two representations (RFC 9110 8.8.3).
    etag: &'static str,
    gzip: OnceLock<Option<Gzipped>>,
}

/// A file's gzip body and its tag.
struct Gzipped {
    body: Bytes,
    etag: HeaderValue,
}

/// `asset!("/path", "file in web/", "content type")`: the file's bytes and const ETag.
macro_rules! asset {
    ($path:literal, $file:literal, $type:expr) => {{
        const BODY: &[u8] = include_bytes!(concat!("../../../../web/", $file));
        const TAG: [u8; 18] = etag(BODY);
        Asset {
            path: $path,
            body: BODY,
            content_type: $type,
            etag: match std::str::from_utf8(&TAG) {
                Ok(tag) => tag,
                Err(_) => panic!("an ETag is ASCII"),
            },
            gzip: OnceLock::new(),
        }
    }};
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the web client. The page loads its scripts as ES modules by these paths.
pub static ASSETS: [Asset; 9] = [
    asset!("/", "index.html", "text/html; charset=utf-8"),
    asset!("/style.css", "style.css", "text/css; charset=utf-8"),
    asset!("/app.js", "app.js", JS),
    asset!("/irc.js", "irc.js", JS),
    asset!("/connection.js", "connection.js", JS),
    asset!("/client.js", "client.js", JS),
    asset!("/events.js", "events.js", JS),
    asset!("/view.js", "view.js", JS),
    asset!("/commands.js", "commands.js", JS),
];

/// Browsers may keep a file but must ask whether it changed before using it: a new
/// confab serves a new page at the same address, and its modules must match each other.
const CACHE: &str = "no-cache";

/// The file served at `path`, if any.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

/// `"` + 16 hex digits of the FNV-1a hash of `bytes` + `"`.
const fn etag(bytes: &[u8]) -> [u8; 18] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    let hex = b"0123456789abcdef";
    let mut tag = [b'"'; 18];
    let mut digit = 0;
    while digit < 16 {
        tag[1 + digit] = hex[((hash >> (60 - 4 * digit)) & 0xf) as usize];
        digit += 1;
    }
    tag
}

impl Asset {
    /// The file, gzipped when the request accepts it, or `304 Not Modified` when the
    /// browser's copy (`If-None-Match`) is current.
    pub fn respond(&self, headers: &HeaderMap) -> Response<Full<Bytes>> {
        let gzip = accepts_gzip(headers).then(|| self.gzipped()).flatten();
        let (body, etag) = match gzip {
            Some(gzip) => (gzip.body.clone(), gzip.etag.clone()),
            None => (
                Bytes::from_static(self.body),
                HeaderValue::from_static(self.etag),
            ),
        };
        let current = headers
            .get_all(IF_NONE_MATCH)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|list| names(list, etag.to_str().unwrap_or_default()));
        let mut response = Response::builder()
            .status(if current {
                StatusCode::NOT_MODIFIED
            } else {
                StatusCode::OK
            })
            .header(ETAG, etag)
            .header(CACHE_CONTROL, CACHE)
            .header(VARY, "accept-encoding");
        if current {
            return response.body(Full::default()).expect("valid headers");
        }
        response = response.header(CONTENT_TYPE, self.content_type);
        if gzip.is_some() {
            response = response.header(CONTENT_ENCODING, "gzip");
        }
        response.body(Full::new(body)).expect("valid headers")
    }

    /// The gzip copy, made at the first call and kept; `None` if it would not be smaller.
    fn gzipped(&self) -> Option<&Gzipped> {
        self.gzip
            .get_or_init(|| {
                let body = gzip(self.body);
                let etag = format!("{}-gz\"", self.etag.trim_end_matches('"'));
                (body.len() < self.body.len()).then(|| Gzipped {
                    body: Bytes::from(body),
                    etag: HeaderValue::from_str(&etag).expect("an ASCII tag"),
                })
            })
            .as_ref()
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

/// Whether `Accept-Encoding` takes gzip: `gzip` or `*` with a quality above zero.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let lists = headers.get_all(ACCEPT_ENCODING);
    let codings = lists
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','));
    codings.into_iter().any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|param| {
            param
                .strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// Whether an `If-None-Match` list names `tag`: `*`, or the tag, weak or strong
/// (RFC 9110 13.1.2 compares weakly).
fn names(list: &str, tag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|item| item == "*" || item.strip_prefix("W/").unwrap_or(item) == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_etag_is_the_quoted_fnv1a_of_the_file() {
        assert_eq!(
            std::str::from_utf8(&etag(b"")).unwrap(),
            "\"cbf29ce484222325\""
        );
        assert_eq!(
            std::str::from_utf8(&etag(b"a")).unwrap(),
            "\"af63dc4c8601ec8c\""
        );
        assert!(ASSETS.iter().all(|asset| asset.etag.len() == 18));
    }

    #[test]
    fn if_none_match_lists_are_compared_weakly() {
        let tag = ASSETS[0].etag;
        assert!(names(tag, tag));
        assert!(names(&format!("\"x\", W/{tag}"), tag));
        assert!(names("*", tag));
        assert!(!names("\"0000000000000000\"", tag));
        assert!(!names("", tag));
    }

    #[test]
    fn gzip_is_taken_unless_its_quality_is_zero() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1, GZIP;q=0.5"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "br")])));
        assert!(!accepts_gzip(&headers(&[])));
    }

    #[test]
    fn every_path_is_served_once_and_every_module_the_page_imports_is_served() {
        for asset in &ASSETS {
            assert!(std::ptr::eq(find(asset.path).unwrap(), asset));
        }
        // Every `from './x.js'` in a module names an embedded file.
        for asset in ASSETS.iter().filter(|asset| asset.content_type == JS) {
            let text = std::str::from_utf8(asset.body).unwrap();
            for import in text.split("from './").skip(1) {
                let file = &import[..import.find('\'').unwrap()];
                assert!(find(&format!("/{file}")).is_some(), "{file}");
            }
        }
    }

    #[test]
    fn a_gzipped_file_unzips_to_itself_and_has_its_own_tag() {
        use std::io::Read;
        let asset = find("/app.js").unwrap();
        let gzip = asset.gzipped().expect("app.js shrinks");
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&gzip.body[..])
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, asset.body);
        let tag = format!("\"{}-gz\"", &asset.etag[1..17]);
        assert_eq!(gzip.etag.to_str().unwrap(), tag);
    }
}
