//! DP5xx: security: users, secrets, downloads

pub mod build_secrets;
pub mod final_image;
pub mod missing_healthcheck;
pub mod non_root_user;
