//! DP3xx: base images. Which image a stage is built on: slim variants, pinned tags.

pub mod pin_base_image;
pub mod slim_base_image;
