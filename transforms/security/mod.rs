//! DP5xx: security: users, secrets, downloads. A non-root user for the final image, secrets
//! kept out of ENV and ARG, a HEALTHCHECK (`final_image.rs` says what the final image is and
//! runs); downloads that fail loudly and travel over https, keys handled without a terminal and
//! fetched from key servers that answer, and checksum lines every `sha256sum` reads
//! (`download.rs` reads `curl`, `wget` and `gpg` command lines for them).

pub mod build_secrets;
pub mod checksum_format;
pub mod curl_fail;
pub mod download;
pub mod download_https;
pub mod final_image;
pub mod gpg_batch;
pub mod gpg_keyserver;
pub mod missing_healthcheck;
pub mod non_root_user;
