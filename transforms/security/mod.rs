//! DP5xx: security: users, secrets, downloads. Downloads that fail loudly and travel over
//! https, keys handled without a terminal and fetched from key servers that answer, and
//! checksum lines every `sha256sum` reads; `download.rs` reads `curl`, `wget` and `gpg`
//! command lines for them.

pub mod checksum_format;
pub mod curl_fail;
pub mod download;
pub mod download_https;
pub mod gpg_batch;
pub mod gpg_keyserver;
