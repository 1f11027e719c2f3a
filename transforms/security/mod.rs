//! DP5xx: security: users, secrets, downloads

pub mod build_secrets;
pub mod final_image;
pub mod non_root_user;
