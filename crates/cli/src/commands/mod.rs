//! One module per subcommand.

pub mod dis;
pub mod header;
pub mod info;
pub mod rewrite;
